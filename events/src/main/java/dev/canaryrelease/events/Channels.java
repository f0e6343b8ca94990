package dev.canaryrelease.events;

/** SmallRye Reactive Messaging channel names shared by every service. */
public final class Channels {
    /** The one outgoing channel of a service; its topic is the service's own {@code *.events}. */
    public static final String EVENTS_OUT = "events-out";

    private Channels() {}
}
