"""The MIB objects Muster reads, by name, and which of them make up each walk.

Only these are ever asked for: a probe GET of scalars tells what a device
implements, then each ``Table`` is walked with GETBULK when the probe says
it is worth it. Column OIDs are given without their row index.
"""

from dataclasses import dataclass

from muster.collector.snmp.walk import Oid

# SNMPv2-MIB system group and SNMP-FRAMEWORK-MIB
SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_CONTACT: Oid = (1, 3, 6, 1, 2, 1, 1, 4, 0)
SYS_NAME: Oid = (1, 3, 6, 1, 2, 1, 1, 5, 0)
SYS_LOCATION: Oid = (1, 3, 6, 1, 2, 1, 1, 6, 0)
SYS_SERVICES: Oid = (1, 3, 6, 1, 2, 1, 1, 7, 0)
SNMP_ENGINE_ID: Oid = (1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0)

# Scalars whose presence says which tables to walk.
IP_FORWARDING: Oid = (1, 3, 6, 1, 2, 1, 4, 1, 0)
HR_SYSTEM_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 25, 1, 1, 0)
HR_MEMORY_SIZE: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 2, 0)
DOT1D_BASE_NUM_PORTS: Oid = (1, 3, 6, 1, 2, 1, 17, 1, 2, 0)
LLDP_LOC_CHASSIS_ID: Oid = (1, 0, 8802, 1, 1, 2, 1, 3, 2, 0)
LLDP_LOC_SYS_CAP_ENABLED: Oid = (1, 0, 8802, 1, 1, 2, 1, 3, 6, 0)
# UPS-MIB (RFC 1628) identification
UPS_IDENT_MANUFACTURER: Oid = (1, 3, 6, 1, 2, 1, 33, 1, 1, 1, 0)
UPS_IDENT_MODEL: Oid = (1, 3, 6, 1, 2, 1, 33, 1, 1, 2, 0)

PROBE_SCALARS: tuple[Oid, ...] = (
    SYS_DESCR,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    SYS_CONTACT,
    SYS_NAME,
    SYS_LOCATION,
    SYS_SERVICES,
    SNMP_ENGINE_ID,
    IP_FORWARDING,
    HR_SYSTEM_UPTIME,
    HR_MEMORY_SIZE,
    DOT1D_BASE_NUM_PORTS,
    LLDP_LOC_CHASSIS_ID,
    LLDP_LOC_SYS_CAP_ENABLED,
    UPS_IDENT_MANUFACTURER,
    UPS_IDENT_MODEL,
)

# IF-MIB ifTable and ifXTable
IF_DESCR: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_TYPE: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
IF_SPEED: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)
IF_PHYS_ADDRESS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 6)
IF_ADMIN_STATUS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER_STATUS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_NAME: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_HIGH_SPEED: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15)
IF_ALIAS: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18)
# IP-MIB ipAddrTable: index is the address, value the ifIndex
IP_AD_ENT_IF_INDEX: Oid = (1, 3, 6, 1, 2, 1, 4, 20, 1, 2)

# ENTITY-MIB entPhysicalTable
ENT_DESCR: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 2)
ENT_CONTAINED_IN: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 4)
ENT_CLASS: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5)
ENT_NAME: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7)
ENT_HARDWARE_REV: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 8)
ENT_FIRMWARE_REV: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 9)
ENT_SOFTWARE_REV: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 10)
ENT_SERIAL: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11)
ENT_MFG_NAME: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 12)
ENT_MODEL_NAME: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13)

# HOST-RESOURCES-MIB
HR_STORAGE_TYPE: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 2)
HR_STORAGE_DESCR: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 3)
HR_STORAGE_UNITS: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 4)
HR_STORAGE_SIZE: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 5)
HR_STORAGE_USED: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 6)
HR_DEVICE_TYPE: Oid = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2)
HR_DEVICE_DESCR: Oid = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3)
HR_SW_INSTALLED_NAME: Oid = (1, 3, 6, 1, 2, 1, 25, 6, 3, 1, 2)
# hrStorageTypes and hrDeviceTypes values
HR_STORAGE_RAM: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 1, 2)
HR_STORAGE_FIXED_DISK: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 1, 4)
HR_STORAGE_NETWORK_DISK: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 1, 10)
HR_DEVICE_PROCESSOR: Oid = (1, 3, 6, 1, 2, 1, 25, 3, 1, 3)
HR_DEVICE_PRINTER: Oid = (1, 3, 6, 1, 2, 1, 25, 3, 1, 5)

# Printer-MIB (RFC 3805)
PRT_GENERAL_PRINTER_NAME: Oid = (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 16)
PRT_GENERAL_SERIAL_NUMBER: Oid = (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17)
PRT_MARKER_LIFE_COUNT: Oid = (1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4)

# IP-MIB ipNetToMediaTable: index is ifIndex.a.b.c.d
IP_NET_TO_MEDIA_PHYS_ADDRESS: Oid = (1, 3, 6, 1, 2, 1, 4, 22, 1, 2)
IP_NET_TO_MEDIA_TYPE: Oid = (1, 3, 6, 1, 2, 1, 4, 22, 1, 4)

# BRIDGE-MIB and Q-BRIDGE-MIB forwarding tables
DOT1D_BASE_PORT_IF_INDEX: Oid = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)
DOT1D_TP_FDB_PORT: Oid = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
DOT1D_TP_FDB_STATUS: Oid = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 3)
DOT1Q_TP_FDB_PORT: Oid = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 2)
DOT1Q_TP_FDB_STATUS: Oid = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 3)

# Cisco's VLANs: CISCO-VTP-MIB vtpVlanState (index domain.vlan) and
# CISCO-VLAN-MEMBERSHIP-MIB vmVlan (index ifIndex: the access VLAN of a port)
CISCO: Oid = (1, 3, 6, 1, 4, 1, 9)
VTP_VLAN_STATE: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1, 2)
VM_VLAN: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1, 2)

# LLDP-MIB remote systems: index is timeMark.localPortNum.remIndex
LLDP_REM_CHASSIS_ID: Oid = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 5)
LLDP_REM_PORT_ID: Oid = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 7)
LLDP_REM_SYS_NAME: Oid = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9)
LLDP_REM_SYS_CAP_ENABLED: Oid = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 12)


@dataclass(frozen=True)
class Table:
    """A set of columns walked together, and why."""

    name: str
    columns: tuple[Oid, ...]


INTERFACES = Table(
    "IF-MIB",
    (
        IF_DESCR,
        IF_TYPE,
        IF_SPEED,
        IF_PHYS_ADDRESS,
        IF_ADMIN_STATUS,
        IF_OPER_STATUS,
        IF_NAME,
        IF_HIGH_SPEED,
        IF_ALIAS,
        IP_AD_ENT_IF_INDEX,
    ),
)
ENTITIES = Table(
    "ENTITY-MIB",
    (
        ENT_DESCR,
        ENT_CONTAINED_IN,
        ENT_CLASS,
        ENT_NAME,
        ENT_HARDWARE_REV,
        ENT_FIRMWARE_REV,
        ENT_SOFTWARE_REV,
        ENT_SERIAL,
        ENT_MFG_NAME,
        ENT_MODEL_NAME,
    ),
)
HOST_RESOURCES = Table(
    "HOST-RESOURCES-MIB",
    (
        HR_STORAGE_TYPE,
        HR_STORAGE_DESCR,
        HR_STORAGE_UNITS,
        HR_STORAGE_SIZE,
        HR_STORAGE_USED,
        HR_DEVICE_TYPE,
        HR_DEVICE_DESCR,
    ),
)
SOFTWARE = Table("HOST-RESOURCES-MIB hrSWInstalled", (HR_SW_INSTALLED_NAME,))
PRINTER = Table(
    "Printer-MIB",
    (PRT_GENERAL_PRINTER_NAME, PRT_GENERAL_SERIAL_NUMBER, PRT_MARKER_LIFE_COUNT),
)
ARP_CACHE = Table("IP-MIB ipNetToMedia", (IP_NET_TO_MEDIA_PHYS_ADDRESS, IP_NET_TO_MEDIA_TYPE))
# Q-BRIDGE's table holds every VLAN's entries; BRIDGE-MIB's is walked only when a
# switch has no Q-BRIDGE table, since where both exist they repeat each other.
FORWARDING = Table(
    "Q-BRIDGE-MIB forwarding", (DOT1D_BASE_PORT_IF_INDEX, DOT1Q_TP_FDB_PORT, DOT1Q_TP_FDB_STATUS)
)
BRIDGE_FORWARDING = Table("BRIDGE-MIB forwarding", (DOT1D_TP_FDB_PORT, DOT1D_TP_FDB_STATUS))
# Cisco IOS answers BRIDGE-MIB for one VLAN at a time: community@vlan, or v3 context vlan-N.
CISCO_VLANS = Table("CISCO-VTP-MIB VLANs", (VTP_VLAN_STATE, VM_VLAN))
VLAN_FORWARDING = Table(
    "BRIDGE-MIB forwarding per VLAN",
    (DOT1D_BASE_PORT_IF_INDEX, DOT1D_TP_FDB_PORT, DOT1D_TP_FDB_STATUS),
)
LLDP = Table(
    "LLDP-MIB neighbours",
    (
        LLDP_REM_CHASSIS_ID,
        LLDP_REM_PORT_ID,
        LLDP_REM_SYS_NAME,
        LLDP_REM_SYS_CAP_ENABLED,
    ),
)
