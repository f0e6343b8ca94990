package dev.canaryrelease.builder.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.Reasons;

/**
 * The build context, made by this service from the tree it wrote: exactly the files of the commit
 * under the app's context folder, less what its {@code .dockerignore} leaves out, plus the labelled
 * Dockerfile as the entry {@value #DOCKERFILE}; sent as an uncompressed tar written by a helper
 * thread while the engine reads it.
 *
 * <p>Nothing here follows a link to walk or read: the folder walk does not descend into linked
 * folders (a link is one entry, whatever it points to, so links to {@code .} cannot make the walk
 * grow), and every path this class reads (the context folder, the Dockerfile, {@code
 * .dockerignore}) and every link that goes into the tar is resolved step by step inside the
 * checkout, as the kernel would but with the checkout as its root: a link that leads outside (up
 * past the checkout, or to an absolute path) or that never resolves (a loop, more than {@value
 * #MAX_LINKS} links) fails the build with {@code context refused} naming the path and its target. A
 * link inside stays a link in the tar. Files keep their permission bits.
 */
public final class ContextTar {
    /** The name of the labelled Dockerfile in the context; a commit may not hold this path. */
    public static final String DOCKERFILE = ".canary-build.Dockerfile";

    /** Links followed in one resolution before it counts as a loop (Linux: 40). */
    static final int MAX_LINKS = 40;

    private static final int MAX_DOCKERIGNORE = 1 << 20;

    /** One tar entry: a folder, a regular file (its real path) or a link (its target). */
    private record Entry(String name, Path file, String link, boolean dir, int mode, long size) {}

    private final List<Entry> entries;
    private final byte[] dockerfile;
    private final int ignored;

    private ContextTar(List<Entry> entries, byte[] dockerfile, int ignored) {
        this.entries = entries;
        this.dockerfile = dockerfile;
        this.ignored = ignored;
    }

    /** How many entries the context holds (folders, files and links, not the Dockerfile). */
    public int size() {
        return entries.size();
    }

    /** How many paths {@code .dockerignore} left out (an excluded folder counts once). */
    public int ignored() {
        return ignored;
    }

    /**
     * The real path of {@code relative} (a {@code /}-separated path in the checkout), each link on
     * the way resolved inside {@code checkout}.
     *
     * @param shown how the path is named in a reason
     * @throws BuildFailure {@code context refused}: a link on the way leads outside the checkout or
     *     never resolves
     */
    public static Path resolve(Path checkout, String relative, String shown) throws BuildFailure {
        Path root = real(checkout);
        List<String> done = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(Arrays.asList(relative.split("/")));
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (done.isEmpty()) {
                    throw refused(shown + ", which leads outside the checkout");
                }
                done.remove(done.size() - 1);
                continue;
            }
            done.add(c);
            String at = String.join("/", done);
            Path p = root.resolve(at);
            if (!Files.isSymbolicLink(p)) {
                continue;
            }
            String target;
            try {
                target = Files.readSymbolicLink(p).toString();
            } catch (IOException e) {
                throw refused("cannot read the symbolic link '" + at + "': " + e);
            }
            if (++links > MAX_LINKS) {
                throw refused(
                        shown
                                + ", which never resolves (a loop of symbolic links through '"
                                + at
                                + "')");
            }
            if (target.startsWith("/")) {
                throw refused(
                        shown
                                + ", which leads through '"
                                + at
                                + "' to the absolute path '"
                                + target
                                + "', outside the checkout");
            }
            done.remove(done.size() - 1);
            List<String> parts = Arrays.asList(target.split("/"));
            for (int i = parts.size() - 1; i >= 0; i--) {
                todo.addFirst(parts.get(i));
            }
        }
        return done.isEmpty() ? root : root.resolve(String.join("/", done));
    }

    /**
     * {@code real} (a path from {@link #resolve}) relative to the checkout, {@code /}-separated.
     */
    public static String nameIn(Path checkout, Path real) throws BuildFailure {
        return real(checkout).relativize(real).toString().replace('\\', '/');
    }

    /**
     * The context of {@code contextDir} (a real folder inside {@code checkout}, from {@link
     * #resolve}) with {@code dockerfile} as its Dockerfile.
     *
     * @throws BuildFailure {@code context refused}: a link that leads outside the checkout or never
     *     resolves, an unreadable {@code .dockerignore}, the reserved name in the commit
     */
    public static ContextTar of(Path checkout, Path contextDir, String dockerfile)
            throws BuildFailure {
        Path root = real(checkout);
        Path ctx = real(contextDir);
        if (!ctx.startsWith(root)) {
            throw refused("the context folder " + contextDir + " is outside the checkout");
        }
        String ctxRel = root.relativize(ctx).toString();
        if (Files.exists(ctx.resolve(DOCKERFILE), LinkOption.NOFOLLOW_LINKS)) {
            throw refused(
                    "the commit holds '"
                            + DOCKERFILE
                            + "', a name the build-service keeps for the labelled Dockerfile");
        }
        DockerIgnore ignore = dockerignore(checkout, ctx, ctxRel);
        List<Entry> entries = new ArrayList<>();
        int[] ignored = {0};
        try {
            // no FOLLOW_LINKS: a linked folder is visited as one file, never entered
            Files.walkFileTree(
                    ctx,
                    Set.of(),
                    Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(
                                Path dir, BasicFileAttributes attrs) {
                            if (dir.equals(ctx)) {
                                return FileVisitResult.CONTINUE;
                            }
                            String name = name(ctx, dir);
                            if (ignore.excludes(name)) {
                                ignored[0]++;
                                return ignore.hasExceptions()
                                        ? FileVisitResult.CONTINUE
                                        : FileVisitResult.SKIP_SUBTREE;
                            }
                            entries.add(new Entry(name + "/", null, null, true, 040755, 0));
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                                throws IOException {
                            String name = name(ctx, file);
                            if (ignore.excludes(name) && !name.equals(".dockerignore")) {
                                ignored[0]++;
                                return FileVisitResult.CONTINUE;
                            }
                            if (attrs.isSymbolicLink()) {
                                String target = Files.readSymbolicLink(file).toString();
                                String shown =
                                        "'" + name + "' is a symbolic link to '" + target + "'";
                                if (target.startsWith("/")) {
                                    throw new Refused(
                                            refused(
                                                    shown
                                                            + ", an absolute path outside the"
                                                            + " checkout"));
                                }
                                String in = root.relativize(file.getParent()).toString();
                                try {
                                    resolve(root, in + "/" + target, shown);
                                } catch (BuildFailure f) {
                                    throw new Refused(f);
                                }
                                entries.add(new Entry(name, null, target, false, 0120777, 0));
                            } else if (attrs.isRegularFile()) {
                                entries.add(
                                        new Entry(
                                                name, file, null, false, mode(file), attrs.size()));
                            }
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (Refused r) {
            throw r.failure;
        } catch (IOException e) {
            throw new BuildFailure(
                    Reasons.of(Reasons.BUILD_FAILED, "cannot read the build context: " + e), e);
        }
        entries.sort(Comparator.comparing(Entry::name));
        return new ContextTar(
                List.copyOf(entries), dockerfile.getBytes(StandardCharsets.UTF_8), ignored[0]);
    }

    /** Carries a refusal out of the file visitor. */
    private static final class Refused extends IOException {
        final BuildFailure failure;

        Refused(BuildFailure failure) {
            super(failure.reason());
            this.failure = failure;
        }
    }

    private static DockerIgnore dockerignore(Path checkout, Path ctx, String ctxRel)
            throws BuildFailure {
        Path link = ctx.resolve(".dockerignore");
        if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            return DockerIgnore.NONE;
        }
        Path file = resolve(checkout, ctxRel + "/.dockerignore", "'.dockerignore'");
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return DockerIgnore.NONE;
        }
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || Files.size(file) > MAX_DOCKERIGNORE) {
                throw refused("'.dockerignore' is not a regular file of at most 1 MB");
            }
            return DockerIgnore.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw refused("cannot read '.dockerignore': " + e.getMessage());
        }
    }

    private static BuildFailure refused(String why) {
        return new BuildFailure(Reasons.of(Reasons.CONTEXT_REFUSED, why));
    }

    private static Path real(Path p) throws BuildFailure {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new BuildFailure(Reasons.of(Reasons.INTERNAL, "cannot read " + p + ": " + e), e);
        }
    }

    private static String name(Path ctx, Path p) {
        return ctx.relativize(p).toString().replace('\\', '/');
    }

    /** The tar, written by a helper thread as the engine reads it. */
    public InputStream stream() throws IOException {
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread writer =
                new Thread(
                        () -> {
                            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                                write(tar);
                            } catch (IOException | UncheckedIOException e) {
                                // the reader sees the stream end early and the build fails
                                try {
                                    out.close();
                                } catch (IOException ignored) {
                                    // closed
                                }
                            }
                        },
                        "build-context-tar");
        writer.setDaemon(true);
        writer.start();
        return in;
    }

    /** The entry names in the order of the tar, for tests. */
    List<String> names() {
        List<String> names = new ArrayList<>();
        entries.forEach(e -> names.add(e.link() == null ? e.name() : e.name() + " -> " + e.link()));
        names.add(DOCKERFILE);
        return names;
    }

    void write(TarArchiveOutputStream tar) throws IOException {
        for (Entry e : entries) {
            if (e.link() != null) {
                TarArchiveEntry t = new TarArchiveEntry(e.name(), TarConstants.LF_SYMLINK);
                t.setLinkName(e.link());
                tar.putArchiveEntry(t);
                tar.closeArchiveEntry();
            } else if (e.dir()) {
                TarArchiveEntry t = new TarArchiveEntry(e.name());
                t.setMode(TarArchiveEntry.DEFAULT_DIR_MODE);
                tar.putArchiveEntry(t);
                tar.closeArchiveEntry();
            } else {
                TarArchiveEntry t = new TarArchiveEntry(e.name());
                t.setSize(e.size());
                t.setMode(e.mode());
                tar.putArchiveEntry(t);
                // the file was a regular file when walked; NOFOLLOW_LINKS refuses a link now
                try (InputStream f = Files.newInputStream(e.file(), LinkOption.NOFOLLOW_LINKS)) {
                    long copied = f.transferTo(tar);
                    if (copied != e.size()) {
                        throw new IOException(e.name() + " changed while the context was sent");
                    }
                }
                tar.closeArchiveEntry();
            }
        }
        TarArchiveEntry df = new TarArchiveEntry(DOCKERFILE);
        df.setSize(dockerfile.length);
        df.setMode(0100644);
        tar.putArchiveEntry(df);
        tar.write(dockerfile);
        tar.closeArchiveEntry();
        tar.finish();
    }

    private static int mode(Path p) throws IOException {
        Set<PosixFilePermission> perms =
                Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        int mode = 0100000;
        int bit = 0400;
        for (PosixFilePermission x : PosixFilePermission.values()) {
            if (perms.contains(x)) {
                mode |= bit;
            }
            bit >>= 1;
        }
        return mode;
    }
}
