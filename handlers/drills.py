"""Drills (#10): /drill, attendance on the day, the evaluation form. (Being built: see bot/drills/.)"""

from __future__ import annotations


def drill_command(ack, command, context):
    ack()


def attend(ack, body, context):
    ack()


def evaluate(ack, body, client, context):
    ack()


def submit_evaluation(ack, body, context):
    ack()
