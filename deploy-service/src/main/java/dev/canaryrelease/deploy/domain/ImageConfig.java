package dev.canaryrelease.deploy.domain;

import java.util.List;
import java.util.Map;

/**
 * What an image sets by itself: a container's settings equal to these are not copied to its
 * successor (the new image brings its own).
 */
public record ImageConfig(
        List<String> env,
        List<String> cmd,
        List<String> entrypoint,
        Map<String, String> labels,
        boolean healthcheck) {
    public ImageConfig {
        env = env == null ? List.of() : List.copyOf(env);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public static final ImageConfig NONE = new ImageConfig(null, null, null, null, false);
}
