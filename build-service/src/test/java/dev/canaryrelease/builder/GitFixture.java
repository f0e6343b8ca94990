package dev.canaryrelease.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.transport.RefSpec;

import dev.canaryrelease.testsupport.infra.ExampleApp;

/**
 * A local bare repository {@code <root>/proserveau/example-app.git} (what GitHub would hold) and a
 * working copy that commits and pushes to it. The fleet rewrites {@code https://github.com/} to
 * {@code file://<root>/}.
 */
final class GitFixture {
    static final String REPOSITORY = "proserveau/example-app";
    static final String CLONE_URL = "https://github.com/" + REPOSITORY + ".git";

    final Path root;
    final Path bare;
    final Path work;
    private final Git git;

    GitFixture(Path dir) {
        try {
            root = dir.resolve("repos");
            bare = root.resolve(REPOSITORY + ".git");
            work = dir.resolve("work");
            Git.init()
                    .setBare(true)
                    .setInitialBranch("main")
                    .setDirectory(bare.toFile())
                    .call()
                    .close();
            git =
                    Git.cloneRepository()
                            .setURI(bare.toUri().toString())
                            .setDirectory(work.toFile())
                            .call();
        } catch (GitAPIException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code insteadOf} target for {@code https://github.com/}. */
    String rewriteUrl() {
        return root.toUri().toString();
    }

    /** Commits the example app at {@code version} and pushes; returns the commit id. */
    String commitApp(String version) {
        ExampleApp.writeContext(work, version, false);
        return commitAndPush("example app " + version);
    }

    /** Replaces the Dockerfile and pushes. */
    String commitDockerfile(String dockerfile, String message) {
        write("Dockerfile", dockerfile);
        return commitAndPush(message);
    }

    /** Deletes the Dockerfile and pushes. */
    String commitWithoutDockerfile() {
        try {
            Files.deleteIfExists(work.resolve("Dockerfile"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return commitAndPush("remove the Dockerfile");
    }

    /** Points {@code branch} of the bare repository at the working copy's last commit. */
    synchronized void pushTo(String branch) {
        try {
            git.push()
                    .setRemote("origin")
                    .setRefSpecs(new RefSpec("+HEAD:refs/heads/" + branch))
                    .call();
        } catch (GitAPIException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A symbolic link {@code path -> target} in the working copy (committed by the next push). */
    void link(String path, String target) {
        try {
            Path p = work.resolve(path);
            Files.createDirectories(p.getParent());
            Files.deleteIfExists(p);
            Files.createSymbolicLink(p, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes files and links of the working copy and pushes. */
    String deleteAndPush(String message, String... paths) {
        try {
            for (String p : paths) {
                Files.deleteIfExists(work.resolve(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return commitAndPush(message);
    }

    void write(String file, String text) {
        try {
            Files.writeString(work.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized String commitAndPush(String message) {
        try {
            git.add().addFilepattern(".").call();
            git.add().addFilepattern(".").setUpdate(true).call();
            PersonIdent who = new PersonIdent("Octo Cat", "octocat@example.invalid");
            RevCommit c =
                    git.commit()
                            .setMessage(message)
                            .setAuthor(who)
                            .setCommitter(who)
                            .setAllowEmpty(true)
                            .setSign(false)
                            .call();
            // the working copy of the empty repository is on JGit's default branch: push it as main
            git.push().setRemote("origin").setRefSpecs(new RefSpec("+HEAD:refs/heads/main")).call();
            return c.getName();
        } catch (GitAPIException e) {
            throw new IllegalStateException(e);
        }
    }
}
