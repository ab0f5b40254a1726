"""Package: the files each platform imports, for every rule and target.

    model          Packaged (one rule for one target), Entry, Format, ArtifactError
    schedule       a rule's interval and look-back in each platform's terms
    attack         the rule's ATT&CK mapping in each platform's vocabulary
    kibana         Kibana detection rules (ndjson import)
    splunk, conf   a Splunk app: savedsearches.conf (ES correlation search, RBA), .conf syntax
    sentinel       Sentinel scheduled analytics rules (YAML) and an ARM template
    defender       Defender XDR custom detection rules (Graph detectionRule JSON)
    sigma_folder   the Sigma rules in a SigmaHQ-style folder
    navigator      ATT&CK Navigator layers of what each target covers
    deployment     deployment settings and user pipelines as processing pipelines
    header         the header comment of `convert --out` files
    run            `ruleport package`: convert, lay out, write

Each target record (converters.emit.targets) names its formats and the
settings it takes; FORMATS maps a format's name to its writer.
"""

from converters.package.defender import DefenderRules
from converters.package.kibana import KibanaRules
from converters.package.sentinel import SentinelRules
from converters.package.sigma_folder import SigmaFolder
from converters.package.splunk import SplunkApp

FORMATS = {f.name: f for f in (KibanaRules(), SplunkApp(), SentinelRules(), DefenderRules(), SigmaFolder())}

__all__ = ["FORMATS"]
