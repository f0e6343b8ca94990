package dev.canaryrelease.registry.client;

/** A tag of a repository and the digest of the manifest it names. */
public record TagDigest(String tag, String digest) {}
