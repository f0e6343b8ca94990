package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The example app: a {@code FROM scratch} image holding only Debian's static busybox, whose {@code
 * busybox httpd} serves on port 3000 a page naming its version and host ({@code CANARY_HOST}) and
 * {@code /health} (200; a broken version has none, so 404). Images are built on one engine, pushed
 * to a local registry and pulled from there only: never from Docker Hub.
 */
public final class ExampleApp {
    /** The app's container port. */
    public static final int PORT = 3000;

    private static final Pattern DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");
    private static final Pattern LOCAL_REGISTRY =
            Pattern.compile("(127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|localhost)(:\\d+)?/.+");

    private ExampleApp() {}

    /**
     * Writes the app's build context (Dockerfile, start.sh, app.env, busybox) for {@code version}
     * into {@code dir}.
     */
    public static Path writeContext(Path dir, String version, boolean broken) {
        try {
            Files.createDirectories(dir);
            for (String f : new String[] {"Dockerfile", "start.sh"}) {
                try (InputStream in = ExampleApp.class.getResourceAsStream("/example-app/" + f)) {
                    if (in == null) {
                        throw new IllegalStateException("resource /example-app/" + f + " missing");
                    }
                    Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.writeString(
                    dir.resolve("app.env"), "VERSION=" + version + "\nBROKEN=" + broken + "\n");
            Files.copy(
                    Binaries.staticBusybox(),
                    dir.resolve("busybox"),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.COPY_ATTRIBUTES);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Builds the app on {@code engine} as {@code registryAddress/repository:tag}, pushes it and
     * returns the pushed digest ({@code sha256:...}). The registry wants credentials: log the
     * engine's CLI in first ({@link RegistryServer#login(DockerEngine, String)}).
     */
    public static String buildAndPush(
            DockerEngine engine,
            String registryAddress,
            String repository,
            String tag,
            String version,
            boolean broken) {
        Path context;
        try {
            context = Files.createTempDirectory("canary-example-app-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            writeContext(context, version, broken);
            return buildAndPush(engine, registryAddress + "/" + repository + ":" + tag, context);
        } finally {
            HostCleanup.deleteTree(context);
        }
    }

    /**
     * Builds and pushes, as {@link #buildAndPush(DockerEngine, String, String, String, String,
     * boolean)}, a version of the app whose process exits at once with {@code exitCode} (an app
     * that cannot start: it says so on stderr and serves nothing).
     */
    public static String buildAndPushExiting(
            DockerEngine engine,
            String registryAddress,
            String repository,
            String tag,
            int exitCode) {
        Path context;
        try {
            context = Files.createTempDirectory("canary-example-app-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            writeContext(context, tag, false);
            Files.writeString(
                    context.resolve("start.sh"),
                    "#!/bin/sh\necho 'example-app: cannot start' >&2\nexit " + exitCode + "\n");
            return buildAndPush(engine, registryAddress + "/" + repository + ":" + tag, context);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            HostCleanup.deleteTree(context);
        }
    }

    private static String buildAndPush(DockerEngine engine, String image, Path context) {
        engine.docker(Duration.ofMinutes(3), "build", "-q", "-t", image, context.toString())
                .orThrow();
        ExecResult push = engine.docker(Duration.ofMinutes(3), "push", image).orThrow();
        Matcher m = DIGEST.matcher(push.stdout());
        if (!m.find()) {
            throw new IllegalStateException("no digest in push output: " + push.stdout());
        }
        return m.group(1);
    }

    /**
     * Runs {@code image} on {@code engine} as container {@code name} with {@code --init -p
     * hostAddress:port:3000 --restart unless-stopped -e CANARY_HOST=canaryHost --pull never}. An
     * image the engine does not have is first pulled from its registry, which must be on
     * 127.0.0.0/8. Returns the container id.
     */
    public static String run(
            DockerEngine engine,
            String image,
            String name,
            String hostAddress,
            int port,
            String canaryHost) {
        ensureLocal(engine, image);
        return engine.docker(
                        "run",
                        "-d",
                        "--pull",
                        "never",
                        "--init",
                        "--name",
                        name,
                        "-p",
                        hostAddress + ":" + port + ":" + PORT,
                        "--restart",
                        "unless-stopped",
                        "-e",
                        "CANARY_HOST=" + canaryHost,
                        image)
                .orThrow()
                .stdout()
                .strip();
    }

    /** Pulls {@code image} onto {@code engine} from its 127.x registry unless already there. */
    public static void ensureLocal(DockerEngine engine, String image) {
        if (engine.docker("image", "inspect", "--format", "{{.Id}}", image).ok()) {
            return;
        }
        if (!LOCAL_REGISTRY.matcher(image).matches()) {
            throw new IllegalArgumentException(
                    "refusing to pull "
                            + image
                            + ": images come from a registry on 127.0.0.0/8 only, never Docker Hub");
        }
        engine.docker(Duration.ofMinutes(3), "pull", "-q", image).orThrow();
    }
}
