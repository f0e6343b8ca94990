package dev.canaryrelease.deploy.domain;

/**
 * One call on a host's Docker engine, as {@link SwapPlanner} plans it. A container is named by its
 * id, or by {@link #CREATED}: the container the plan's {@link Create} makes (an action on it is
 * skipped when none was made).
 */
public sealed interface SwapAction {

    /** Stands for the id of the container the plan creates. */
    String CREATED = "<created>";

    /** Pull an image by digest (never by tag). */
    record Pull(String reference) implements SwapAction {}

    /** Stop a container (with the configured grace period). */
    record Stop(String container) implements SwapAction {}

    record Rename(String container, String name) implements SwapAction {}

    /** Remove a container (forced; one already gone is fine). */
    record Remove(String container) implements SwapAction {}

    /** Create {@code name} with {@code spec}; it becomes {@link #CREATED}. */
    record Create(String name, ContainerSpec spec) implements SwapAction {}

    /**
     * Start a container (the executor tries again while the engine has not released the host port
     * of the container stopped just before).
     */
    record Start(String container) implements SwapAction {}

    /** Read the last lines of a container's log: they go into a failed result. */
    record ReadLogs(String container) implements SwapAction {}
}
