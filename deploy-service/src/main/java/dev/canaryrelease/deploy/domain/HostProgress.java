package dev.canaryrelease.deploy.domain;

import dev.canaryrelease.events.model.Stage;

/**
 * One host in a release: its step, the stage of its current cycle, the digest it ran before the
 * release touched it (the rollback target; null until known) and, when something went wrong, why.
 */
public record HostProgress(
        String host, Stage stage, HostStep step, String previousDigest, String reason) {

    public static HostProgress waiting(String host, Stage stage) {
        return new HostProgress(host, stage, HostStep.WAITING, null, null);
    }

    public HostProgress to(HostStep next) {
        return new HostProgress(host, stage, next, previousDigest, reason);
    }

    public HostProgress to(HostStep next, Stage newStage) {
        return new HostProgress(host, newStage, next, previousDigest, reason);
    }

    public HostProgress withPrevious(String digest) {
        return new HostProgress(host, stage, step, digest, reason);
    }

    public HostProgress withReason(String why) {
        return new HostProgress(host, stage, step, previousDigest, why);
    }
}
