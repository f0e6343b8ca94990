package dev.canaryrelease.builder.domain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The builds this service knows, in memory and as {@code <data-dir>/builds/<release>.json} (written
 * atomically), with each build's log at {@code <data-dir>/logs/<release>.log}. The bean is made by
 * {@code config/DataDir} from {@code canary.data-dir}.
 */
public class BuildStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BuildStore.class);

    /** Release ids become file names: nothing that could leave the folder. */
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path builds;
    private final Path logs;
    private final Path work;
    private final ObjectMapper json;
    private final Map<String, BuildRecord> records = new ConcurrentHashMap<>();
    private final FileChannel lockFile;
    private final FileLock lock;

    /**
     * Opens {@code dataDir}, which must be this process's alone: two instances of the service on
     * one machine each need their own (records, workspaces and git mirrors are not shared); a
     * second one on the same folder fails here, naming it.
     */
    public BuildStore(Path dataDir, ObjectMapper json) {
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
            this.lockFile =
                    FileChannel.open(
                            dir.resolve(".lock"),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                lockFile.close();
                throw new IllegalStateException(
                        "data directory "
                                + dir
                                + " is in use by another build-service instance: give each"
                                + " instance its own canary.data-dir (CANARY_DATA_DIR)");
            }
            this.lock = l;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use data directory " + dir, e);
        }
        this.builds = dir.resolve("builds");
        this.logs = dir.resolve("logs");
        this.work = dir.resolve("work");
        this.json = json;
        load();
    }

    /** Lets another process use the data directory. */
    @Override
    public void close() {
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            LOG.warnf("cannot release the lock of the data directory: %s", e.getMessage());
        }
    }

    /** True if {@code releaseId} can name a file. */
    public static boolean safeId(String releaseId) {
        return releaseId != null && SAFE_ID.matcher(releaseId).matches();
    }

    private void load() {
        try {
            Files.createDirectories(builds);
            Files.createDirectories(logs);
            Files.createDirectories(work);
            try (Stream<Path> files = Files.list(builds)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                    try {
                        BuildRecord r = json.readValue(f.toFile(), BuildRecord.class);
                        records.put(r.releaseId(), r);
                    } catch (IOException e) {
                        LOG.warnf("unreadable build record %s skipped: %s", f, e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use data directory " + builds.getParent(), e);
        }
    }

    public Optional<BuildRecord> get(String releaseId) {
        return Optional.ofNullable(records.get(releaseId));
    }

    /** Builds left queued or running by a previous run of the service. */
    public List<BuildRecord> unfinished() {
        return new ArrayList<>(
                records.values().stream()
                        .filter(r -> !r.status().terminal())
                        .sorted((a, b) -> a.queuedAt().compareTo(b.queuedAt()))
                        .toList());
    }

    /** Keeps the record in memory and on disk. */
    public void save(BuildRecord r) {
        records.put(r.releaseId(), r);
        Path file = builds.resolve(r.releaseId() + ".json");
        Path tmp = builds.resolve(r.releaseId() + ".json.tmp");
        try {
            json.writeValue(tmp.toFile(), r);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.errorf("release %s: cannot write its build record: %s", r.releaseId(), e);
        }
    }

    /** Drops the record (memory and disk): this instance no longer builds that release. */
    public void forget(String releaseId) {
        records.remove(releaseId);
        try {
            Files.deleteIfExists(builds.resolve(releaseId + ".json"));
        } catch (IOException e) {
            LOG.errorf("release %s: cannot remove its build record: %s", releaseId, e);
        }
    }

    public Path logFile(String releaseId) {
        return logs.resolve(releaseId + ".log");
    }

    public Path workspace(String releaseId) {
        return work.resolve(releaseId);
    }

    /** Removes a workspace and everything in it. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                // never through a link: a commit's link may name any file of this host
                if (!Files.isSymbolicLink(p)) {
                    p.toFile().setWritable(true);
                }
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warnf("cannot remove workspace %s: %s", dir, e.getMessage());
        }
    }
}
