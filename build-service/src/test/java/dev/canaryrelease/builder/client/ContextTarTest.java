package dev.canaryrelease.builder.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.BuildStore;

/** The build context made from a real folder: what goes in, what is refused and why. */
class ContextTarTest {
    Path dir;
    Path checkout;
    Path secrets;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("context-tar-");
        checkout = Files.createDirectories(dir.resolve("work/release"));
        secrets = Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(secrets.resolve("token"), "s3cr3t");
    }

    @AfterEach
    void tearDown() {
        BuildStore.deleteTree(dir);
    }

    void file(String path, String text) throws IOException {
        Path p = checkout.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    void link(String path, String target) throws IOException {
        Path p = checkout.resolve(path);
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, Path.of(target));
    }

    ContextTar tar() throws BuildFailure {
        return ContextTar.of(checkout, checkout, "FROM scratch\n");
    }

    String refusal() {
        return assertThrows(BuildFailure.class, this::tar).reason();
    }

    /** Name → type/target/content of every entry of the streamed tar. */
    static List<String> read(ContextTar tar) throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream in = tar.stream();
                TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                if (e.isSymbolicLink()) {
                    out.add(e.getName() + " -> " + e.getLinkName());
                } else if (e.isDirectory()) {
                    out.add(e.getName());
                } else {
                    out.add(
                            e.getName()
                                    + " "
                                    + Integer.toOctalString(e.getMode() & 0777)
                                    + " "
                                    + new String(t.readAllBytes(), StandardCharsets.UTF_8).strip());
                }
            }
        }
        return out;
    }

    @Test
    void holdsTheTreeWithLinksAsLinksModesAndTheLabelledDockerfile() throws Exception {
        file("app/start.sh", "run");
        Files.setPosixFilePermissions(
                checkout.resolve("app/start.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        file("app/page.html", "hello");
        link("app/current", "page.html");
        link("docs", "app");
        link("dangling", "not/there");
        assertEquals(
                List.of(
                        "app/",
                        "app/current -> page.html",
                        "app/page.html 644 hello",
                        "app/start.sh 755 run",
                        "dangling -> not/there",
                        "docs -> app",
                        ".canary-build.Dockerfile 644 FROM scratch"),
                read(tar()));
    }

    @Test
    void aLinkOutOfTheCheckoutIsRefusedAndNamed() throws Exception {
        file("Dockerfile", "FROM scratch\nCOPY s/ /s/\n");
        file(".dockerignore", "");
        link("s", "../../../../../secrets");
        String r = refusal();
        assertEquals(
                "context refused: 's' is a symbolic link to '../../../../../secrets', which leads"
                        + " outside the checkout",
                r);
    }

    @Test
    void absoluteLinksAndEscapesThroughOtherLinksAreRefused() throws Exception {
        link("abs", secrets.toString());
        assertTrue(
                refusal().contains("'abs' is a symbolic link to '" + secrets + "', an absolute"));
        Files.delete(checkout.resolve("abs"));

        // each link alone looks inside; together they leave: a/up -> .. and b -> a/up/..
        Files.createDirectories(checkout.resolve("a"));
        link("a/up", "..");
        link("b", "a/up/../..");
        String r = refusal();
        assertTrue(r.startsWith("context refused: 'b' is a symbolic link to 'a/up/../..'"), r);
        assertTrue(r.endsWith("leads outside the checkout"), r);
        Files.delete(checkout.resolve("b"));

        // the context is ctx/; its link goes through links outside it (not walked) to /etc
        link("ctx/to-root", "../");
        link("ctx/deeper/x", "../../ctx/to-root/abs2");
        link("abs2", "/etc");
        r =
                assertThrows(
                                BuildFailure.class,
                                () ->
                                        ContextTar.of(
                                                checkout, checkout.resolve("ctx"), "FROM scratch"))
                        .reason();
        assertEquals(
                "context refused: 'deeper/x' is a symbolic link to '../../ctx/to-root/abs2', which"
                        + " leads through 'abs2' to the absolute path '/etc', outside the checkout",
                r);
    }

    @Test
    void loopsAreRefusedAndSelfLinksCostNothing() throws Exception {
        for (int i = 0; i < 8; i++) {
            link("self" + i, ".");
        }
        link("sub/back", "..");
        file("sub/f", "x");
        long t0 = System.nanoTime();
        ContextTar tar = tar();
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 2000);
        assertEquals(11, tar.size(), tar.names().toString()); // 8 links, sub/, sub/back, sub/f

        link("loop1", "loop2");
        link("loop2", "loop1");
        String r = refusal();
        assertTrue(r.contains("never resolves (a loop of symbolic links"), r);
    }

    @Test
    void theDockerignoreIsAppliedAsTheDockerCliDoes() throws Exception {
        file(
                ".dockerignore",
                """
                # comment
                *.log
                /build
                docs/**/*.tmp
                secret*
                !secret-but-public.txt
                """);
        file("a.log", "x");
        file("keep.txt", "k");
        file("build/out.bin", "o");
        file("docs/x/y/z.tmp", "t");
        file("docs/x/readme", "r");
        file("secret.txt", "s");
        file("secret-but-public.txt", "p");
        List<String> names = read(tar());
        assertEquals(
                List.of(
                        ".dockerignore 644 # comment\n*.log\n/build\ndocs/**/*.tmp\nsecret*\n"
                                + "!secret-but-public.txt",
                        "docs/",
                        "docs/x/",
                        "docs/x/readme 644 r",
                        "docs/x/y/",
                        "keep.txt 644 k",
                        "secret-but-public.txt 644 p",
                        ".canary-build.Dockerfile 644 FROM scratch"),
                names);
    }

    @Test
    void anExcludedLinkOutsideIsNotInTheContextButADockerignoreLinkOutsideIsRefused()
            throws Exception {
        file(".dockerignore", "s\n");
        link("s", "../../secrets");
        assertFalse(tar().names().stream().anyMatch(n -> n.startsWith("s ")));

        Files.delete(checkout.resolve(".dockerignore"));
        link(".dockerignore", "../../secrets/token");
        assertTrue(refusal().startsWith("context refused: '.dockerignore', which leads outside"));
    }

    @Test
    void theDockerfileAndTheContextFolderResolveInsideTheCheckout() throws Exception {
        link("Dockerfile", "../../secrets/token");
        BuildFailure f =
                assertThrows(
                        BuildFailure.class,
                        () -> ContextTar.resolve(checkout, "Dockerfile", "the Dockerfile"));
        assertEquals(
                "context refused: the Dockerfile, which leads outside the checkout", f.reason());

        link("ctx", "../../secrets");
        f =
                assertThrows(
                        BuildFailure.class,
                        () -> ContextTar.resolve(checkout, "ctx/.", "the context 'ctx'"));
        assertTrue(f.reason().contains("the context 'ctx', which leads outside"), f.reason());

        file("real/Dockerfile", "FROM scratch");
        link("alias", "real");
        assertEquals(
                checkout.toRealPath().resolve("real/Dockerfile"),
                ContextTar.resolve(checkout, "alias/Dockerfile", "the Dockerfile"));
    }

    @Test
    void theReservedDockerfileNameIsRefused() throws Exception {
        link(ContextTar.DOCKERFILE, "/root/.bashrc");
        assertTrue(refusal().contains("'" + ContextTar.DOCKERFILE + "'"), refusal());
    }

    @Test
    void dockerignorePatternsMatchLikeMoby() {
        DockerIgnore d = DockerIgnore.parse("**/node_modules\n!keep/node_modules\n/tmp/*.o\na?c\n");
        assertTrue(d.excludes("node_modules"));
        assertTrue(d.excludes("x/y/node_modules/z"));
        assertFalse(d.excludes("keep/node_modules"));
        assertTrue(d.excludes("tmp/x.o"));
        assertFalse(d.excludes("tmp/sub/x.o"));
        assertTrue(d.excludes("abc"));
        assertFalse(d.excludes("a/c"));
        assertEquals("a/c", DockerIgnore.clean("./a/b/../c/"));
    }
}
