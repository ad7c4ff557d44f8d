"""What can go wrong talking SNMP to one device.

MusterError
└── SnmpError                 one device could not be inventoried
    ├── SnmpTimeoutError      no answer: down, filtered, or a wrong v1/v2c community
    ├── SnmpAuthError         it answered, but refused the SNMPv3 user or keys
    └── SnmpResponseError     it answered with an error or something unreadable

A wrong v2c community cannot be told from a silent device: the agent drops
the request without a word, so both are timeouts.
"""

from muster.cmdb.errors import MusterError


class SnmpError(MusterError):
    """A device could not be inventoried over SNMP."""


class SnmpTimeoutError(SnmpError):
    """The device did not answer in time."""


class SnmpAuthError(SnmpError):
    """The device refused the SNMPv3 credentials."""


class SnmpResponseError(SnmpError):
    """The device answered with an error status or a malformed message."""
