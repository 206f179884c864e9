"""AWS deployment: the infra stack Chalice cannot create, and the commands around it.

``render`` writes the CloudFormation template, ``deploy`` / ``destroy`` run the whole
deployment of a stage, ``package`` builds a self-contained SAM template with a precompiled zip.
"""
