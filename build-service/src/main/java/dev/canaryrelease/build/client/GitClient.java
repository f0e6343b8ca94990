package dev.canaryrelease.build.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

import dev.canaryrelease.build.config.BuildConfig;
import dev.canaryrelease.build.domain.BuildFailure;
import dev.canaryrelease.build.domain.BuildLog;
import dev.canaryrelease.build.domain.Cancellation;
import dev.canaryrelease.build.domain.Reasons;
import dev.canaryrelease.fleet.Fleet;

/**
 * Git, through JGit: fetches exactly one commit into an empty workspace and checks it out. Tries a
 * shallow fetch of the commit id first (servers that allow fetching any reachable commit: GitHub,
 * Git's protocol v2, JGit); otherwise fetches every branch and tag and looks the commit up. The
 * clone URL goes through the fleet's {@code git.urlRewrites}; the token of {@code git.tokenFile},
 * if any, is sent as HTTP credentials and never logged.
 */
@ApplicationScoped
public class GitClient {
    private static final String BUILD_REF = "refs/heads/canary-build";

    private final Fleet fleet;
    private final int timeoutSeconds;

    public GitClient(Fleet fleet, BuildConfig config) {
        this.fleet = fleet;
        this.timeoutSeconds = (int) Math.max(1, config.build().gitTimeout().toSeconds());
    }

    /** The URL actually fetched from (after the fleet's rewrites). */
    public String effectiveUrl(String cloneUrl) {
        return fleet.git() == null ? cloneUrl : fleet.git().rewrite(cloneUrl);
    }

    /**
     * Fetches {@code sha} of {@code cloneUrl} into the empty folder {@code dir} and checks it out.
     *
     * @throws BuildFailure clone failed (and why), commit not found, or the cancel reason
     */
    public void checkout(String cloneUrl, String sha, Path dir, BuildLog log, Cancellation cancel)
            throws BuildFailure {
        String url = effectiveUrl(cloneUrl);
        String shown = Reasons.redactUrl(url);
        if (sha == null || !ObjectId.isId(sha.toLowerCase(Locale.ROOT))) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.COMMIT_NOT_FOUND,
                            "'" + sha + "' is not a full 40-hex commit id"));
        }
        String commit = sha.toLowerCase(Locale.ROOT);
        CredentialsProvider credentials = credentials(url);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BuildFailure(Reasons.of(Reasons.INTERNAL, "cannot create workspace: " + e));
        }
        long t0 = System.nanoTime();
        try (Git git =
                Git.init().setDirectory(dir.toFile()).setInitialBranch("canary-build").call()) {
            boolean shallow = false;
            log.linef("git: fetching commit %s from %s (depth 1)", commit, shown);
            try {
                FetchResult r =
                        git.fetch()
                                .setRemote(url)
                                .setRefSpecs(new RefSpec(commit + ":" + BUILD_REF))
                                .setDepth(1)
                                .setTagOpt(TagOpt.NO_TAGS)
                                .setTimeout(timeoutSeconds)
                                .setCredentialsProvider(credentials)
                                .setProgressMonitor(monitor(cancel))
                                .call();
                shallow = r.getTrackingRefUpdate(BUILD_REF) != null || has(git, commit);
            } catch (GitAPIException | RuntimeException e) {
                cancel.check();
                if (unreachable(e)) {
                    throw new BuildFailure(
                            Reasons.of(Reasons.CLONE_FAILED, shown + ": " + why(e)), e);
                }
                log.linef(
                        "git: the server refused to send the commit alone (%s); fetching every"
                                + " branch and tag",
                        why(e));
            }
            cancel.check();
            if (!shallow || !has(git, commit)) {
                try {
                    git.fetch()
                            .setRemote(url)
                            .setRefSpecs(
                                    List.of(
                                            new RefSpec("+refs/heads/*:refs/remotes/origin/*"),
                                            new RefSpec("+refs/tags/*:refs/tags/*")))
                            .setTimeout(timeoutSeconds)
                            .setCredentialsProvider(credentials)
                            .setProgressMonitor(monitor(cancel))
                            .call();
                } catch (GitAPIException | RuntimeException e) {
                    cancel.check();
                    throw new BuildFailure(
                            Reasons.of(Reasons.CLONE_FAILED, shown + ": " + why(e)), e);
                }
                cancel.check();
                if (!has(git, commit)) {
                    throw new BuildFailure(
                            Reasons.of(
                                    Reasons.COMMIT_NOT_FOUND,
                                    commit
                                            + " is not in any branch or tag of "
                                            + shown
                                            + " (was it pushed, or force-pushed away?)"));
                }
            }
            git.checkout().setName(commit).call();
            RevCommit c;
            try (RevWalk walk = new RevWalk(git.getRepository())) {
                c = walk.parseCommit(ObjectId.fromString(commit));
            }
            log.linef(
                    "git: checked out %s (%s fetch, %d ms): %s",
                    commit.substring(0, 12),
                    shallow ? "shallow" : "full",
                    (System.nanoTime() - t0) / 1_000_000,
                    c.getShortMessage());
        } catch (GitAPIException | IOException e) {
            cancel.check();
            throw new BuildFailure(Reasons.of(Reasons.CLONE_FAILED, shown + ": " + why(e)), e);
        }
    }

    private static boolean has(Git git, String commit) {
        try (RevWalk walk = new RevWalk(git.getRepository())) {
            walk.parseCommit(ObjectId.fromString(commit));
            return true;
        } catch (MissingObjectException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private CredentialsProvider credentials(String url) throws BuildFailure {
        Path tokenFile = fleet.git() == null ? null : fleet.git().tokenFile();
        if (tokenFile == null || !url.startsWith("http")) {
            return null;
        }
        try {
            String token = Files.readString(tokenFile).strip();
            return token.isEmpty()
                    ? null
                    : new UsernamePasswordCredentialsProvider("x-access-token", token);
        } catch (IOException e) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.CLONE_FAILED,
                            "cannot read the git token file " + tokenFile + ": " + e.getMessage()));
        }
    }

    /** Connection or authentication problems: asking for every branch would fail the same way. */
    private static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NoRemoteRepositoryException
                    || t instanceof ConnectException
                    || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException) {
                return true;
            }
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("not authorized")
                    || m.contains("authentication is required")
                    || m.contains("not found")
                            && !m.contains("want")
                            && !m.contains("not our ref")) {
                return true;
            }
        }
        return false;
    }

    /** The message of the failure and of its root cause, without credentials. */
    static String why(Throwable e) {
        String top = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = top;
        if (root != e && root.getMessage() != null && !top.contains(root.getMessage())) {
            msg = top + " (" + root.getMessage() + ")";
        }
        return Reasons.redactUrl(msg.strip());
    }

    private static ProgressMonitor monitor(Cancellation cancel) {
        return new ProgressMonitor() {
            @Override
            public void start(int totalTasks) {}

            @Override
            public void beginTask(String title, int totalWork) {}

            @Override
            public void update(int completed) {}

            @Override
            public void endTask() {}

            @Override
            public boolean isCancelled() {
                return cancel.cancelled();
            }

            @Override
            public void showDuration(boolean enabled) {}
        };
    }
}
