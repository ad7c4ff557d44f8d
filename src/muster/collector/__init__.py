"""Turning a site's subnets into Observations (ARP, ICMP, TCP, nmap, SNMP)."""
