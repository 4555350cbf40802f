"""The CDK app that deploys DevSphere Automation: one stack, one construct per concern."""

import os

# Set before aws_cdk starts its Node.js runtime. Node 20 is past its end of life for jsii, and the banner
# it then prints on every run carries no information here.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
