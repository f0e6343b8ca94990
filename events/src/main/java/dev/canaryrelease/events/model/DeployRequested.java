package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked for a new release of a chosen image of the app, rolled out like a
 * pushed image (canary first, under the same one-rollout-per-app rule). The gateway took the digest
 * from a failed release it retries ({@code retryOf}) or resolved it in the registry; {@code
 * operator} and {@code reason} are the audit trail.
 *
 * @param releaseId the new release (the gateway's id for it)
 * @param repository the app's image repository
 * @param tag the tag the operator named, or the failed release's tag (null: none known)
 * @param digest the image to roll out
 * @param retryOf the failed release this one retries (null: a chosen version)
 */
public record DeployRequested(
        String releaseId,
        String app,
        String repository,
        String tag,
        String digest,
        String operator,
        String reason,
        String retryOf)
        implements CanaryEvent, OfApp, WithReason {

    /** The image as deploy-service's machine takes a pushed one (pushed by no registry user). */
    public ImagePushed image() {
        return new ImagePushed(releaseId, app, repository, tag, digest, null);
    }
}
