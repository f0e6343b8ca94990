package dev.canaryrelease.build.domain;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks the {@code FROM} lines of a Dockerfile before it is built: the build engine never pulls
 * from Docker Hub, so a base image is {@code scratch}, an earlier stage, or an image of the fleet's
 * registry ({@code <registry>/...}).
 */
public final class DockerfileCheck {
    private DockerfileCheck() {}

    /** The base images that would be pulled from elsewhere than the registry; empty when fine. */
    public static List<String> foreignBaseImages(String dockerfile, String registryAddress) {
        List<String> refused = new ArrayList<>();
        Set<String> stages = new HashSet<>();
        StringBuilder logical = new StringBuilder();
        for (String raw : dockerfile.split("\\r?\\n")) {
            String line = raw.strip();
            if (logical.isEmpty() && (line.startsWith("#") || line.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                logical.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            logical.append(line);
            String instr = logical.toString().strip();
            logical.setLength(0);
            String[] words = instr.split("\\s+");
            if (words.length < 2 || !words[0].equalsIgnoreCase("FROM")) {
                continue;
            }
            int i = 1;
            while (i < words.length && words[i].startsWith("--")) {
                i++;
            }
            if (i >= words.length) {
                refused.add(instr);
                continue;
            }
            String image = words[i];
            boolean allowed =
                    image.equalsIgnoreCase("scratch")
                            || stages.contains(image.toLowerCase(Locale.ROOT))
                            || image.startsWith(registryAddress + "/") && !image.contains("$");
            if (!allowed) {
                refused.add(image);
            }
            if (i + 2 < words.length && words[i + 1].equalsIgnoreCase("AS")) {
                stages.add(words[i + 2].toLowerCase(Locale.ROOT));
            }
        }
        return refused;
    }
}
