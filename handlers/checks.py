"""Checks (#10): the buttons of a checklist or recurring check, and /safeshift. (Being built.)"""

from __future__ import annotations


def task_ok(ack, body, context):
    ack()


def task_problem(ack, body, client, context):
    ack()


def task_items(ack):
    ack()  # ticking a box changes nothing until a button is pressed


def safeshift_command(ack, command, context):
    ack()
