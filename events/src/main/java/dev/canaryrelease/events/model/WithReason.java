package dev.canaryrelease.events.model;

/** An event that carries a reason: why something failed, or what an operator said. */
public interface WithReason {
    /** The reason, or null when none was given. */
    String reason();
}
