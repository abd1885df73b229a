"""Notices (通知): written in the console or over the API, sent to the bound members of
chosen orgs (or everyone) over every channel the platform allows."""
