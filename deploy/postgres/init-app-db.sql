-- The app's own database beside Temporal's (temporal, temporal_visibility).
create database lark_agent;
