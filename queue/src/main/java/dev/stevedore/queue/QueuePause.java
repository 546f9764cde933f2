package dev.stevedore.queue;

import java.time.Instant;

/** A paused queue: since when, by whom (free text: a user, a tool), and why, if said. */
public record QueuePause(String queue, Instant pausedAt, String pausedBy, String reason) {}
