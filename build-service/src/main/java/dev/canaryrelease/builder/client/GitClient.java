package dev.canaryrelease.builder.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.ZipException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.CorruptPackIndexException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.PackInvalidException;
import org.eclipse.jgit.errors.PackMismatchException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.builder.config.BuildConfig;
import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.BuildLog;
import dev.canaryrelease.builder.domain.BuildStore;
import dev.canaryrelease.builder.domain.Cancellation;
import dev.canaryrelease.builder.domain.Reasons;
import dev.canaryrelease.fleet.Fleet;

/**
 * Git, through JGit: writes the files of exactly one commit into an empty workspace from a local
 * mirror of the repository, fetching into the mirror only what it lacks.
 *
 * <p>The mirror is a bare repository {@code <data-dir>/mirrors/<hash>.git}, one per effective clone
 * URL (the hash is that of the URL without user info: never the URL itself in a path). The clone
 * URL is the fleet's ({@code git.url} + the app's repository, through {@code git.urlRewrites}),
 * never an event's. Every build fetches the app's branch into the mirror's {@code
 * refs/heads/<branch>} (only the objects the mirror lacks travel) and builds the commit only if it
 * is that branch's head: the head check asks the repository, not the push. Each built commit keeps
 * a ref {@code refs/canary/<sha>}. The token of {@code git.tokenFile}, if any, is sent as HTTP
 * credentials only to the fleet's git host ({@link Fleet.Git#tokenOrigin()}) and never logged.
 *
 * <p>One lock per mirror: builds of the same repository take their turn (the fetch and the writing
 * of the files, tens of milliseconds). A mirror JGit cannot open or read, or whose fetch fails on a
 * corrupt object, is deleted and fetched again from scratch, once. Mirrors grow with their
 * repositories' history; one whose repository left the fleet is removed at start.
 */
@ApplicationScoped
public class GitClient {
    private static final Logger LOG = Logger.getLogger(GitClient.class);
    private static final String MIRROR_REF_PREFIX = "refs/canary/";
    private static final String CONFIG_SECTION = "canary";
    private static final String CONFIG_REPOSITORY = "repository";
    private static final int MAX_PACKS = 50;

    private final Fleet fleet;
    private final int timeoutSeconds;
    private final Path mirrors;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public GitClient(Fleet fleet, BuildConfig config) {
        this.fleet = fleet;
        this.timeoutSeconds = (int) Math.max(1, config.build().gitTimeout().toSeconds());
        this.mirrors = config.dataDir().toAbsolutePath().normalize().resolve("mirrors");
    }

    /**
     * The URL an app's repository is fetched from: the fleet's {@code git.url} + the app's {@code
     * repository} + {@code .git}, after the fleet's rewrites. Never a URL from an event.
     */
    public String effectiveUrl(Fleet.App app) {
        return fleet.git().rewrite(cloneUrl(app));
    }

    /** The clone URL of an app before the rewrites (the image's source label). */
    public String cloneUrl(Fleet.App app) {
        return fleet.git().cloneUrl(app.repository());
    }

    /** The mirror folder of an effective URL: a hash of the URL without its user info. */
    Path mirrorOf(String url) {
        try {
            byte[] h =
                    MessageDigest.getInstance("SHA-256")
                            .digest(Reasons.redactUrl(url).getBytes(StandardCharsets.UTF_8));
            return mirrors.resolve(HexFormat.of().formatHex(h, 0, 16) + ".git");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Removes, before the first build starts, the mirrors of repositories no app of the fleet
     * builds any more (and folders that are no mirror of ours).
     */
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent ev) {
        removeMirrorsOutsideTheFleet();
    }

    void removeMirrorsOutsideTheFleet() {
        if (!Files.isDirectory(mirrors)) {
            return;
        }
        Set<String> wanted =
                fleet.apps().stream()
                        .map(a -> a.repository().toLowerCase(Locale.ROOT))
                        .collect(Collectors.toSet());
        List<Path> folders;
        try (Stream<Path> list = Files.list(mirrors)) {
            folders = list.toList();
        } catch (IOException e) {
            LOG.warnf("cannot list the local git mirrors in %s: %s", mirrors, e.getMessage());
            return;
        }
        for (Path folder : folders) {
            ReentrantLock lock = lockOf(folder);
            lock.lock();
            try {
                String repository = repositoryOf(folder);
                if (repository == null) {
                    LOG.infof("removed %s: not a local git mirror this service can read", folder);
                } else if (!wanted.contains(repository.toLowerCase(Locale.ROOT))) {
                    LOG.infof(
                            "removed the local git mirror %s of %s: no app of the fleet builds"
                                    + " that repository any more",
                            folder.getFileName(), repository);
                } else {
                    continue;
                }
                BuildStore.deleteTree(folder);
            } finally {
                lock.unlock();
            }
        }
    }

    /** The repository ({@code owner/name}) a mirror was made for, null if it cannot be read. */
    static String repositoryOf(Path folder) {
        if (!Files.isDirectory(folder)) {
            return null;
        }
        try (Repository repo =
                new FileRepositoryBuilder()
                        .setGitDir(folder.toFile())
                        .setBare()
                        .setMustExist(true)
                        .build()) {
            return repo.getConfig().getString(CONFIG_SECTION, null, CONFIG_REPOSITORY);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private ReentrantLock lockOf(Path mirror) {
        return locks.computeIfAbsent(mirror.getFileName().toString(), k -> new ReentrantLock());
    }

    /**
     * Writes the files of commit {@code sha} of the app's repository into the empty folder {@code
     * dir}, if {@code sha} is the head of the app's branch in the repository (fetched now).
     *
     * @throws BuildFailure clone failed (and why), commit not found, superseded (not the head of
     *     the branch), or the cancel reason
     */
    public void checkout(Fleet.App app, String sha, Path dir, BuildLog log, Cancellation cancel)
            throws BuildFailure {
        String repository = app.repository();
        String branch = app.branch();
        String url = effectiveUrl(app);
        String shown = Reasons.redactUrl(url);
        if (sha == null || !ObjectId.isId(sha.toLowerCase(Locale.ROOT))) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.COMMIT_NOT_FOUND,
                            "'" + sha + "' is not a full 40-hex commit id"));
        }
        String commit = sha.toLowerCase(Locale.ROOT);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BuildFailure(Reasons.of(Reasons.INTERNAL, "cannot create workspace: " + e));
        }
        Path mirror = mirrorOf(url);
        ReentrantLock lock = lockOf(mirror);
        acquire(lock, cancel);
        try {
            try {
                fromMirror(url, shown, repository, branch, commit, mirror, dir, log, cancel);
            } catch (MirrorUnusable e) {
                cancel.check();
                log.linef(
                        "git: the local mirror is unusable (%s); deleting it and fetching again"
                                + " from scratch",
                        e.getMessage());
                LOG.warnf(
                        "local git mirror %s of %s unusable (%s): deleted, fetching again from"
                                + " scratch",
                        mirror.getFileName(), repository, e.getMessage());
                BuildStore.deleteTree(mirror);
                BuildStore.deleteTree(dir);
                try {
                    Files.createDirectories(dir);
                    fromMirror(url, shown, repository, branch, commit, mirror, dir, log, cancel);
                } catch (MirrorUnusable again) {
                    cancel.check();
                    throw new BuildFailure(
                            Reasons.of(
                                    Reasons.CLONE_FAILED,
                                    shown
                                            + ": the local mirror is unusable even when fetched"
                                            + " from scratch: "
                                            + again.getMessage()),
                            again);
                } catch (IOException io) {
                    throw new BuildFailure(
                            Reasons.of(Reasons.INTERNAL, "cannot create workspace: " + io));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the mirror's lock, giving up when the build is cancelled. */
    private static void acquire(ReentrantLock lock, Cancellation cancel) throws BuildFailure {
        try {
            while (!lock.tryLock(100, TimeUnit.MILLISECONDS)) {
                cancel.check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel.check();
            throw new BuildFailure(Reasons.of(Reasons.INTERNAL, "interrupted"));
        }
    }

    /** The mirror cannot be opened or read, or a fetch into it met a corrupt object. */
    private static final class MirrorUnusable extends Exception {
        MirrorUnusable(String why, Throwable cause) {
            super(why, cause);
        }
    }

    private void fromMirror(
            String url,
            String shown,
            String repository,
            String branch,
            String commit,
            Path mirror,
            Path dir,
            BuildLog log,
            Cancellation cancel)
            throws BuildFailure, MirrorUnusable {
        long t0 = System.nanoTime();
        try (Repository repo = openMirror(mirror, repository)) {
            ObjectId id = ObjectId.fromString(commit);
            boolean had = present(repo, id) != null;
            // the head check asks the repository, never the event: the branch is fetched now
            int objects = fetch(repo, url, shown, branch, log, cancel);
            ObjectId head = head(repo, branch);
            RevCommit c = present(repo, id);
            if (head == null || !head.equals(id)) {
                if (c == null) {
                    throw new BuildFailure(
                            Reasons.of(
                                    Reasons.COMMIT_NOT_FOUND,
                                    commit
                                            + " is not in the branch "
                                            + branch
                                            + " of "
                                            + shown
                                            + (head == null
                                                    ? ""
                                                    : " (its head is "
                                                            + head.name().substring(0, 12)
                                                            + ")")
                                            + " (was it pushed, or force-pushed away?)"));
                }
                throw new BuildFailure(
                        Reasons.of(
                                Reasons.SUPERSEDED,
                                commit.substring(0, 12)
                                        + " "
                                        + Reasons.NOT_THE_HEAD
                                        + " "
                                        + branch
                                        + " in "
                                        + repository
                                        + (head == null
                                                ? " (the branch is gone)"
                                                : " (the head is " + head.name() + ")")
                                        + ": only the head of the app's branch is built; a"
                                        + " redeploy of an older commit is an operator's act"));
            }
            keep(repo, id);
            if (had) {
                log.linef(
                        "git: commit %s already in the local mirror, still the head of %s (%d ms)",
                        commit.substring(0, 12), branch, (System.nanoTime() - t0) / 1_000_000);
            } else {
                pack(repo, mirror, log);
                log.linef(
                        "git: fetched %s into the local mirror (%s, %d ms)",
                        commit.substring(0, 12),
                        objects < 0 ? "objects not counted" : objects + " objects",
                        (System.nanoTime() - t0) / 1_000_000);
            }
            long t1 = System.nanoTime();
            int files;
            try {
                files =
                        TreeWriter.write(
                                repo,
                                c,
                                dir,
                                path ->
                                        log.linef(
                                                "git: skipped %s: submodules are not checked out",
                                                path),
                                cancel);
            } catch (TreeWriter.ObjectReadException e) {
                cancel.check();
                throw new MirrorUnusable(why(e), e);
            } catch (IOException e) {
                cancel.check();
                throw new BuildFailure(
                        Reasons.of(Reasons.INTERNAL, "cannot write the workspace: " + e), e);
            }
            log.linef(
                    "git: wrote %d files of %s (%d ms): %s",
                    files,
                    commit.substring(0, 12),
                    (System.nanoTime() - t1) / 1_000_000,
                    c.getShortMessage());
        }
    }

    /** Opens the mirror, creating it if absent; unusable if it exists and cannot be opened. */
    private static Repository openMirror(Path mirror, String repository) throws MirrorUnusable {
        boolean exists = Files.exists(mirror);
        Repository repo = null;
        try {
            repo = new FileRepositoryBuilder().setGitDir(mirror.toFile()).setBare().build();
            if (exists) {
                if (!repo.getObjectDatabase().exists()
                        || repo.getConfig().getString(CONFIG_SECTION, null, CONFIG_REPOSITORY)
                                == null) {
                    throw new IOException("not a complete bare repository");
                }
                return repo;
            }
            Files.createDirectories(mirror.getParent());
            repo.create(true);
            StoredConfig config = repo.getConfig();
            config.setString(CONFIG_SECTION, null, CONFIG_REPOSITORY, repository);
            // should JGit ever run an automatic gc, it runs under the mirror's lock, not beside it
            config.setBoolean("gc", null, "autoDetach", false);
            config.save();
            return repo;
        } catch (IOException | RuntimeException e) {
            if (repo != null) {
                repo.close();
            }
            throw new MirrorUnusable("cannot open it: " + why(e), e);
        }
    }

    /**
     * The commit if the mirror has it; null if not. An object the mirror lists but cannot read
     * makes the mirror unusable; an id that names no commit is not found.
     */
    private static RevCommit present(Repository repo, ObjectId id)
            throws MirrorUnusable, BuildFailure {
        try {
            if (!repo.getObjectDatabase().has(id)) {
                return null;
            }
        } catch (IOException e) {
            throw new MirrorUnusable(why(e), e);
        }
        try (RevWalk walk = new RevWalk(repo)) {
            return walk.parseCommit(id);
        } catch (IncorrectObjectTypeException e) {
            throw new BuildFailure(
                    Reasons.of(Reasons.COMMIT_NOT_FOUND, id.name() + " is not a commit"));
        } catch (IOException e) {
            throw new MirrorUnusable(
                    "it lists " + id.name().substring(0, 12) + " but cannot read it: " + why(e), e);
        }
    }

    /**
     * {@code refs/canary/<sha>}: the commit stays in the mirror and is a "have" of later fetches.
     */
    private static void keep(Repository repo, ObjectId id) throws MirrorUnusable {
        try {
            RefUpdate u = repo.updateRef(MIRROR_REF_PREFIX + id.name());
            u.setNewObjectId(id);
            u.setForceUpdate(true);
            RefUpdate.Result r = u.update();
            if (r == RefUpdate.Result.LOCK_FAILURE
                    || r == RefUpdate.Result.IO_FAILURE
                    || r == RefUpdate.Result.REJECTED) {
                throw new IOException("cannot write " + u.getName() + ": " + r);
            }
        } catch (IOException e) {
            throw new MirrorUnusable(why(e), e);
        }
    }

    /**
     * Each fetch adds a pack and JGit's fetch never runs an automatic gc: past {@value #MAX_PACKS}
     * packs the mirror is packed into one (under its lock, so no build reads it meanwhile). A
     * failure only leaves more packs to read.
     */
    private static void pack(Repository repo, Path mirror, BuildLog log) {
        long packs;
        try (Stream<Path> list = Files.list(mirror.resolve("objects").resolve("pack"))) {
            packs = list.filter(p -> p.toString().endsWith(".pack")).count();
        } catch (IOException e) {
            return;
        }
        if (packs <= MAX_PACKS) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            Git.wrap(repo).gc().call();
            log.linef(
                    "git: packed the local mirror's %d packs into one (%d ms)",
                    packs, (System.nanoTime() - t0) / 1_000_000);
        } catch (GitAPIException | RuntimeException e) {
            LOG.warnf("cannot pack the local git mirror %s: %s", mirror.getFileName(), why(e));
        }
    }

    /**
     * The branch's commit in the mirror (as just fetched), null if the remote has no such branch.
     */
    private static ObjectId head(Repository repo, String branch) throws MirrorUnusable {
        try {
            Ref ref = repo.exactRef(Constants.R_HEADS + branch);
            return ref == null ? null : ref.getObjectId();
        } catch (IOException e) {
            throw new MirrorUnusable(why(e), e);
        }
    }

    /**
     * Fetches the app's branch into the mirror's {@code refs/heads/<branch>} (forced: a force-push
     * moves it); only the objects the mirror lacks travel. Returns how many objects were received,
     * or -1. A branch the remote does not have leaves the mirror's ref deleted.
     */
    private int fetch(
            Repository repo,
            String url,
            String shown,
            String branch,
            BuildLog log,
            Cancellation cancel)
            throws BuildFailure, MirrorUnusable {
        CredentialsProvider credentials = credentials(url, log);
        Counting monitor = new Counting(cancel);
        String ref = Constants.R_HEADS + branch;
        log.linef("git: fetching %s from %s", branch, shown);
        try {
            FetchResult r =
                    new Git(repo)
                            .fetch()
                            .setRemote(url)
                            .setRefSpecs(new RefSpec("+" + ref + ":" + ref))
                            .setTagOpt(TagOpt.NO_TAGS)
                            .setTimeout(timeoutSeconds)
                            .setCredentialsProvider(credentials)
                            .setProgressMonitor(monitor)
                            .call();
            if (r.getAdvertisedRef(ref) == null) {
                deleteRef(repo, ref);
            }
        } catch (InvalidRemoteException | TransportException e) {
            cancel.check();
            if (corrupt(e)) {
                throw new MirrorUnusable(why(e), e);
            }
            if (String.valueOf(e.getMessage()).contains("Remote does not have " + ref)) {
                deleteRef(repo, ref);
                return monitor.received;
            }
            throw new BuildFailure(Reasons.of(Reasons.CLONE_FAILED, shown + ": " + why(e)), e);
        } catch (GitAPIException | RuntimeException e) {
            cancel.check();
            if (corrupt(e)) {
                throw new MirrorUnusable(why(e), e);
            }
            throw new BuildFailure(Reasons.of(Reasons.CLONE_FAILED, shown + ": " + why(e)), e);
        }
        cancel.check();
        return monitor.received;
    }

    private static void deleteRef(Repository repo, String ref) throws MirrorUnusable {
        try {
            if (repo.exactRef(ref) != null) {
                RefUpdate u = repo.updateRef(ref);
                u.setForceUpdate(true);
                u.delete();
            }
        } catch (IOException e) {
            throw new MirrorUnusable(why(e), e);
        }
    }

    /** A failure of the local object database (not of the server or the network). */
    static boolean corrupt(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CorruptObjectException
                    || t instanceof PackInvalidException
                    || t instanceof PackMismatchException
                    || t instanceof CorruptPackIndexException
                    || t instanceof DataFormatException
                    || t instanceof ZipException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * The token of {@code git.tokenFile} as HTTP credentials, only for the fleet's git host ({@link
     * Fleet.Git#tokenOrigin()}) and only over https (or http to a loopback address); null
     * otherwise. Read per fetch, never logged.
     */
    private CredentialsProvider credentials(String url, BuildLog log) throws BuildFailure {
        Path tokenFile = fleet.git().tokenFile();
        if (tokenFile == null || !url.startsWith("http")) {
            return null;
        }
        String origin = Fleet.Git.origin(url);
        if (!origin.equals(fleet.git().tokenOrigin())) {
            log.linef(
                    "git: no token sent to %s: the token is for the fleet's git host %s",
                    origin, fleet.git().tokenOrigin());
            return null;
        }
        if (origin.startsWith("http://") && !loopback(origin)) {
            log.linef("git: no token sent to %s: plain http off this machine", origin);
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

    private static boolean loopback(String origin) {
        String host = origin.substring(origin.indexOf("://") + 3).replaceAll(":\\d+$", "");
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
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

    /** Cancels JGit's work with the build; counts the objects received. */
    private static final class Counting implements ProgressMonitor {
        private final Cancellation cancel;
        int received = -1;

        Counting(Cancellation cancel) {
            this.cancel = cancel;
        }

        @Override
        public void start(int totalTasks) {}

        @Override
        public void beginTask(String title, int totalWork) {
            if (title != null && title.startsWith("Receiving objects") && totalWork > 0) {
                received = Math.max(received, 0) + totalWork;
            }
        }

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
    }
}
