package dev.canaryrelease.registry.client;

/** The repository, manifest or blob does not exist in the registry. */
public class NotFoundException extends RegistryException {
    public NotFoundException(String message) {
        super(message, false);
    }
}
