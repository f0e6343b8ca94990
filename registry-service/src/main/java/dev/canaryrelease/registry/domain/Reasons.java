package dev.canaryrelease.registry.domain;

import java.time.Duration;
import java.util.List;

/** Why registry-service refuses a push ({@code image.rejected.reason}): the words in one place. */
public final class Reasons {
    /** Start of the reason of a labelled image whose digest is not its build's. */
    public static final String DIGEST_MISMATCH = "digest is not the one its build produced";

    /** Start of the reason of a labelled image whose release never reported a build. */
    public static final String NO_BUILD = "no build.succeeded for its release";

    /** Start of the reason of an unlabelled push by a user not allowed to release by push. */
    public static final String NOT_ALLOWED_BY_PUSH = "pushed without a release label by";

    private Reasons() {}

    public static String digestMismatch(String releaseId, String pushed, String built) {
        return DIGEST_MISMATCH
                + ": release "
                + releaseId
                + " built "
                + built
                + ", the registry received "
                + pushed;
    }

    public static String noBuild(String releaseId, Duration waited) {
        return NO_BUILD
                + " "
                + releaseId
                + " within "
                + waited.toString().substring(2).toLowerCase()
                + ": only images the suite built are deployed";
    }

    public static String unlabelledNotAllowed(String actor, String app, List<String> allowed) {
        return NOT_ALLOWED_BY_PUSH
                + " "
                + (actor == null ? "an unnamed registry user" : "'" + actor + "'")
                + ", who is not in apps["
                + app
                + "].releaseByPush "
                + allowed
                + ": it starts nothing";
    }
}
