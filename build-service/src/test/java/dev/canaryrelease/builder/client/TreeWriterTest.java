package dev.canaryrelease.builder.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.BuildStore;
import dev.canaryrelease.builder.domain.Cancellation;

/** The files of a commit, written from a real bare JGit repository into an empty folder. */
class TreeWriterTest {
    Path dir;
    Path workspace;
    Repository repo;
    ObjectInserter ins;
    final List<String> skipped = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("tree-writer-");
        workspace = Files.createDirectory(dir.resolve("ws"));
        repo = new FileRepositoryBuilder().setGitDir(dir.resolve("repo.git").toFile()).build();
        repo.create(true);
        ins = repo.newObjectInserter();
    }

    @AfterEach
    void tearDown() {
        ins.close();
        repo.close();
        BuildStore.deleteTree(dir);
    }

    ObjectId blob(String text) throws IOException {
        return ins.insert(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8));
    }

    RevCommit commit(TreeFormatter tree) throws IOException {
        CommitBuilder c = new CommitBuilder();
        c.setTreeId(ins.insert(tree));
        PersonIdent who = new PersonIdent("Octo Cat", "octocat@example.invalid");
        c.setAuthor(who);
        c.setCommitter(who);
        c.setMessage("the app\n");
        ObjectId id = ins.insert(c);
        ins.flush();
        try (RevWalk walk = new RevWalk(repo)) {
            return walk.parseCommit(id);
        }
    }

    int write(RevCommit c) throws Exception {
        return TreeWriter.write(repo, c, workspace, skipped::add, new Cancellation());
    }

    @Test
    void filesKeepTheirModeLinksStayLinksSubmodulesAreSkippedAndThereIsNoGitFolder()
            throws Exception {
        TreeFormatter nested = new TreeFormatter();
        nested.append("deep.txt", FileMode.REGULAR_FILE, blob("deep\n"));
        TreeFormatter sub = new TreeFormatter();
        sub.append("dir", FileMode.TREE, ins.insert(nested));
        TreeFormatter root = new TreeFormatter();
        root.append("Dockerfile", FileMode.REGULAR_FILE, blob("FROM scratch\n"));
        root.append(
                "lib",
                FileMode.GITLINK,
                ObjectId.fromString("0123456789abcdef0123456789abcdef01234567"));
        root.append("start", FileMode.SYMLINK, blob("start.sh"));
        root.append("start.sh", FileMode.EXECUTABLE_FILE, blob("#!/bin/sh\necho hi\n"));
        root.append("sub", FileMode.TREE, ins.insert(sub));

        assertEquals(4, write(commit(root)));

        assertEquals("FROM scratch\n", Files.readString(workspace.resolve("Dockerfile")));
        assertEquals(
                "rw-r--r--",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(workspace.resolve("Dockerfile"))));
        assertEquals(
                "rwxr-xr-x",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(workspace.resolve("start.sh"))));
        assertTrue(Files.isSymbolicLink(workspace.resolve("start")));
        assertEquals(Path.of("start.sh"), Files.readSymbolicLink(workspace.resolve("start")));
        assertEquals("deep\n", Files.readString(workspace.resolve("sub/dir/deep.txt")));
        assertFalse(Files.exists(workspace.resolve("lib"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of("lib"), skipped);
        assertFalse(Files.exists(workspace.resolve(".git")));
        try (Stream<Path> all = Files.walk(workspace)) {
            assertEquals(7, all.count(), "ws, 4 files and links, sub, sub/dir");
        }
    }

    @Test
    void bytesAreKeptAndGitattributesEndOfLineConversionsApplyAsInACheckout() throws Exception {
        byte[] binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        TreeFormatter root = new TreeFormatter();
        root.append(".gitattributes", FileMode.REGULAR_FILE, blob("*.bat text eol=crlf\n"));
        root.append("busybox", FileMode.EXECUTABLE_FILE, ins.insert(Constants.OBJ_BLOB, binary));
        root.append("run.bat", FileMode.REGULAR_FILE, blob("echo one\necho two\n"));
        root.append("run.sh", FileMode.REGULAR_FILE, blob("echo one\necho two\n"));

        assertEquals(4, write(commit(root)));

        assertArrayEquals(binary, Files.readAllBytes(workspace.resolve("busybox")));
        assertEquals("echo one\r\necho two\r\n", Files.readString(workspace.resolve("run.bat")));
        assertEquals("echo one\necho two\n", Files.readString(workspace.resolve("run.sh")));
    }

    @Test
    void pathsGitRefusesToCheckOutFailTheBuild() throws Exception {
        for (String bad : new String[] {"..", ".git", ".GIT"}) {
            TreeFormatter inner = new TreeFormatter();
            inner.append("config", FileMode.REGULAR_FILE, blob("x"));
            TreeFormatter root = new TreeFormatter();
            root.append(bad, FileMode.TREE, ins.insert(inner));
            RevCommit c = commit(root);
            BuildFailure f = assertThrows(BuildFailure.class, () -> write(c));
            assertTrue(
                    f.reason().startsWith("clone failed: the commit holds the path"), f.reason());
        }
        try (Stream<Path> all = Files.list(workspace)) {
            assertEquals(0, all.count());
        }
        assertFalse(Files.exists(dir.resolve("config")));
    }

    @Test
    void aBlobTheRepositoryLacksIsAnObjectReadFailure() throws Exception {
        TreeFormatter root = new TreeFormatter();
        root.append(
                "gone.txt",
                FileMode.REGULAR_FILE,
                ObjectId.fromString("89abcdef0123456789abcdef0123456789abcdef"));
        RevCommit c = commit(root);
        assertThrows(TreeWriter.ObjectReadException.class, () -> write(c));
    }
}
