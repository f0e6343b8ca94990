package dev.canaryrelease.events.model;

/** An event that names the app of the fleet it is about. */
public interface OfApp {
    String app();
}
