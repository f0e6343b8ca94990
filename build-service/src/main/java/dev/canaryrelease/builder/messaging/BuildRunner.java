package dev.canaryrelease.builder.messaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import dev.canaryrelease.builder.client.ContextTar;
import dev.canaryrelease.builder.client.DockerEngineClient;
import dev.canaryrelease.builder.client.GitClient;
import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.BuildLog;
import dev.canaryrelease.builder.domain.Cancellation;
import dev.canaryrelease.builder.domain.DockerfileCheck;
import dev.canaryrelease.builder.domain.Reasons;
import dev.canaryrelease.events.ImageLabels;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.fleet.Fleet;

/**
 * One build, start to end: fetch of the commit, Dockerfile checks, engine check, {@code docker
 * build} with the release's labels, push. Each failure is a {@link BuildFailure} whose reason says
 * what to do; a cancellation surfaces as its own reason.
 */
@ApplicationScoped
public class BuildRunner {
    private final Fleet fleet;
    private final GitClient git;
    private final DockerEngineClient docker;

    public BuildRunner(Fleet fleet, GitClient git, DockerEngineClient docker) {
        this.fleet = fleet;
        this.git = git;
        this.docker = docker;
    }

    /** The pushed image: {@code <registry>/<image>}, its tag and manifest digest. */
    public record Result(String image, String tag, String digest) {}

    /** The tag of a commit: its first 12 characters. */
    public static String tagOf(String commitSha) {
        return commitSha.substring(0, Math.min(12, commitSha.length())).toLowerCase(Locale.ROOT);
    }

    public Result run(
            BuildRequested req, Fleet.App app, Path workspace, BuildLog log, Cancellation cancel)
            throws BuildFailure {
        String tag = tagOf(req.commitSha());
        String image = fleet.registry().imageName(app.image());
        log.linef(
                "release %s: app %s, %s at %s (branch %s), pushed by %s",
                req.releaseId(),
                app.name(),
                app.repository(),
                req.commitSha(),
                app.branch(),
                req.pusher());
        git.checkout(app, req.commitSha(), workspace, log, cancel);
        cancel.check();

        inside(workspace, app.context(), "context");
        inside(workspace.resolve(app.context()), app.dockerfile(), "dockerfile");
        // both resolved inside the checkout, each link on the way followed there, never outside
        Path context =
                ContextTar.resolve(workspace, app.context(), "the context '" + app.context() + "'");
        String contextRel = ContextTar.nameIn(workspace, context);
        Path dockerfile =
                ContextTar.resolve(
                        workspace,
                        contextRel + "/" + app.dockerfile(),
                        "the Dockerfile '" + app.dockerfile() + "'");
        if (!Files.isDirectory(context, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.NO_DOCKERFILE,
                            "the build context '"
                                    + app.context()
                                    + "' does not exist at commit "
                                    + tag
                                    + " of "
                                    + app.repository()));
        }
        if (!Files.isRegularFile(dockerfile, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.NO_DOCKERFILE,
                            "'"
                                    + ContextTar.nameIn(workspace, dockerfile)
                                    + "' not found at commit "
                                    + tag
                                    + " of "
                                    + app.repository()
                                    + " (fleet: apps."
                                    + app.name()
                                    + ".dockerfile/context)"));
        }
        String text;
        try {
            text = Files.readString(dockerfile);
        } catch (IOException e) {
            throw new BuildFailure(
                    Reasons.of(Reasons.NO_DOCKERFILE, "cannot read it: " + e.getMessage()));
        }
        List<String> foreign = DockerfileCheck.refusedImages(text, fleet.registry().address());
        if (!foreign.isEmpty()) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.BASE_IMAGE_REFUSED,
                            String.join(", ", foreign)
                                    + ": the build engine never pulls from Docker Hub; use"
                                    + " scratch, an earlier stage or an image of "
                                    + fleet.registry().address()));
        }

        String ref = image + ":" + tag;
        Map<String, String> labels =
                Map.of(
                        ImageLabels.REVISION, req.commitSha(),
                        ImageLabels.SOURCE, Reasons.redactUrl(git.cloneUrl(app)),
                        ImageLabels.RELEASE_ID, req.releaseId());
        // the context is checked before the engine hears of the build
        ContextTar tar = ContextTar.of(workspace, context, withLabels(text, labels));

        log.linef("engine: %s", docker.describe());
        docker.ping();
        docker.checkIsolation(app.name());
        cancel.check();

        log.linef("docker build -t %s -f %s %s", ref, app.dockerfile(), app.context());
        long t0 = System.nanoTime();
        log.linef(
                "context: %d entries%s; limits: memory %d MiB, %s CPUs, %d processes",
                tar.size(),
                tar.ignored() == 0 ? "" : " (" + tar.ignored() + " left out by .dockerignore)",
                app.build().memoryBytes() >> 20,
                app.build().cpus(),
                app.build().pids());
        String imageId = docker.build(tar, ref, app.build(), log, cancel);
        log.linef("built %s in %d ms", imageId, (System.nanoTime() - t0) / 1_000_000);

        log.linef("docker push %s", ref);
        t0 = System.nanoTime();
        String digest = docker.push(image, tag, log, cancel);
        log.linef("pushed %s@%s in %d ms", image, digest, (System.nanoTime() - t0) / 1_000_000);
        return new Result(image, tag, digest);
    }

    /**
     * The Dockerfile with one {@code LABEL} instruction appended (it applies to the final stage),
     * sent as the context's {@link ContextTar#DOCKERFILE} (never written into the checkout). The
     * build API's own {@code labels} parameter makes the classic builder add one step, and one
     * intermediate container, per label: three labels cost ~0.4 s.
     */
    static String withLabels(String text, Map<String, String> labels) {
        StringBuilder b = new StringBuilder(text);
        if (!text.endsWith("\n")) {
            b.append('\n');
        }
        b.append("LABEL");
        labels.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        e ->
                                b.append(' ')
                                        .append(e.getKey())
                                        .append('=')
                                        .append(quote(e.getValue())));
        b.append('\n');
        return b.toString();
    }

    private static String quote(String v) {
        return "\""
                + v.replace("\\", "\\\\")
                        .replace("\"", "\\\"")
                        .replace("\n", " ")
                        .replace("$", "\\$")
                + "\"";
    }

    /** {@code base/relative}, refusing paths that leave {@code base}. */
    private static Path inside(Path base, String relative, String what) throws BuildFailure {
        Path p = base.resolve(relative == null ? "." : relative).normalize();
        if (!p.startsWith(base.normalize())) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.NO_DOCKERFILE,
                            "the fleet's " + what + " '" + relative + "' leaves the repository"));
        }
        return p;
    }
}
