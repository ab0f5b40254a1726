"""Platforms: how each SIEM records the same activity.

    models      an ECS fixture event rendered as each platform's record (Sysmon via the
                Splunk add-on, CIM, Defender XDR, Sentinel ASIM, Elastic doc values)
"""
