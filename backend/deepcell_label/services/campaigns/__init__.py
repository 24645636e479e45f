"""Campaigns: many images labelled by many people, with review and measured agreement.

`manage` (settings, members, who holds which role), `images` (adding images: one project per
task, built on the workers), `tasks` (assignment, the task state machine, leases), `quality`
(agreement, consensus, the dashboard's figures), `comments`, `links` (crowd links).
"""
