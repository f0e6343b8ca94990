package dev.canaryrelease.builder.client;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.util.RawParseUtils;
import org.eclipse.jgit.util.io.EolStreamTypeUtil;

import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.Cancellation;
import dev.canaryrelease.builder.domain.Reasons;

/**
 * Writes the tree of one commit into an empty folder straight from a repository's object database,
 * as {@code git checkout} would, without a {@code .git}: regular files with their bytes (and the
 * {@code .gitattributes} end-of-line conversions a checkout applies), {@code 0755} for mode {@code
 * 100755} and {@code 0644} otherwise, symbolic links as links; submodules (gitlinks) are skipped.
 * Paths git itself refuses to check out ({@code ..}, {@code .git}) fail the build, and nothing is
 * ever written through a symbolic link the tree created.
 */
final class TreeWriter {
    private static final Set<PosixFilePermission> EXECUTABLE =
            PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> REGULAR =
            PosixFilePermissions.fromString("rw-r--r--");

    /** A read from the object database failed: the repository, not the workspace, is at fault. */
    static final class ObjectReadException extends IOException {
        ObjectReadException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private TreeWriter() {}

    /**
     * Writes the files of {@code commit} into {@code dir} (which must be empty); returns how many
     * files and links were written. {@code skipped} hears about each submodule left out.
     *
     * @throws ObjectReadException an object of the commit cannot be read from {@code repo}
     * @throws IOException the workspace cannot be written
     * @throws BuildFailure an unsafe path in the tree, or the cancel reason
     */
    static int write(
            Repository repo,
            RevCommit commit,
            Path dir,
            Consumer<String> skipped,
            Cancellation cancel)
            throws IOException, BuildFailure {
        int written = 0;
        try (ObjectReader reader = repo.newObjectReader();
                TreeWalk walk = new TreeWalk(repo, reader)) {
            walk.setOperationType(TreeWalk.OperationType.CHECKOUT_OP);
            walk.setRecursive(true);
            try {
                walk.addTree(commit.getTree());
            } catch (IOException e) {
                throw new ObjectReadException(e);
            }
            while (next(walk)) {
                cancel.check();
                String path = walk.getPathString();
                FileMode mode = walk.getFileMode(0);
                if (mode == FileMode.GITLINK) {
                    skipped.accept(path);
                    continue;
                }
                Path target = target(dir, path);
                if (mode == FileMode.SYMLINK) {
                    byte[] link = read(reader, walk);
                    Files.createSymbolicLink(
                            target, Path.of(RawParseUtils.decode(link, 0, link.length)));
                } else if (mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE) {
                    ObjectLoader blob = open(reader, walk);
                    try (OutputStream out =
                            EolStreamTypeUtil.wrapOutputStream(
                                    new WorkspaceStream(
                                            Files.newOutputStream(
                                                    target,
                                                    StandardOpenOption.CREATE_NEW,
                                                    StandardOpenOption.WRITE,
                                                    LinkOption.NOFOLLOW_LINKS)),
                                    walk.getEolStreamType(TreeWalk.OperationType.CHECKOUT_OP))) {
                        try {
                            blob.copyTo(out);
                        } catch (WorkspaceException e) {
                            throw (IOException) e.getCause();
                        } catch (IOException e) {
                            throw new ObjectReadException(e);
                        }
                    }
                    Files.setPosixFilePermissions(
                            target, mode == FileMode.EXECUTABLE_FILE ? EXECUTABLE : REGULAR);
                } else {
                    skipped.accept(path + " (mode " + mode + ")");
                    continue;
                }
                written++;
            }
        }
        return written;
    }

    /** A write to the workspace failed while a blob was being copied. */
    private static final class WorkspaceException extends IOException {
        WorkspaceException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Tells the workspace's write failures apart from the object database's read failures. */
    private static final class WorkspaceStream extends FilterOutputStream {
        WorkspaceStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new WorkspaceException(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw new WorkspaceException(e);
            }
        }
    }

    private static boolean next(TreeWalk walk) throws ObjectReadException {
        try {
            return walk.next();
        } catch (IOException e) {
            throw new ObjectReadException(e);
        }
    }

    private static ObjectLoader open(ObjectReader reader, TreeWalk walk)
            throws ObjectReadException {
        try {
            return reader.open(walk.getObjectId(0));
        } catch (IOException e) {
            throw new ObjectReadException(e);
        }
    }

    private static byte[] read(ObjectReader reader, TreeWalk walk) throws ObjectReadException {
        try {
            return open(reader, walk).getCachedBytes(4096);
        } catch (ObjectReadException e) {
            throw e;
        } catch (IOException e) {
            throw new ObjectReadException(e);
        }
    }

    /**
     * {@code dir/path} after checking each segment as git does on checkout, its parent folders
     * created; refuses a parent that is a symbolic link (written earlier from the same tree).
     */
    static Path target(Path dir, String path) throws IOException, BuildFailure {
        String[] segments = path.split("/");
        Path p = dir;
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            String lower = s.toLowerCase(Locale.ROOT);
            if (s.isEmpty()
                    || s.equals(".")
                    || s.equals("..")
                    || lower.equals(".git")
                    || s.indexOf('\0') >= 0) {
                throw unsafe(path);
            }
            p = p.resolve(s);
            if (i < segments.length - 1) {
                if (Files.isSymbolicLink(p)) {
                    throw unsafe(path);
                }
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.createDirectory(p);
                    } catch (FileAlreadyExistsException e) {
                        throw unsafe(path);
                    }
                }
            }
        }
        if (!p.normalize().startsWith(dir.normalize())) {
            throw unsafe(path);
        }
        return p;
    }

    private static BuildFailure unsafe(String path) {
        return new BuildFailure(
                Reasons.of(
                        Reasons.CLONE_FAILED,
                        "the commit holds the path '"
                                + path
                                + "', which git refuses to check out"));
    }
}
