package dev.canaryrelease.events.model;

/** An event about one host of an app: a step of its drain, swap or enable. */
public interface OnHost extends OfApp {
    String host();
}
