package dev.canaryrelease.builder.domain;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks every image a Dockerfile names before it is built: the build engine never pulls from
 * Docker Hub, so the image of a {@code FROM}, a {@code COPY --from=} and a {@code RUN
 * --mount=...,from=} is {@code scratch} ({@code FROM} only), an earlier stage (by name or index),
 * or an image of the fleet's registry ({@code <registry>/...}, without variables).
 */
public final class DockerfileCheck {
    private DockerfileCheck() {}

    /**
     * The references that would be pulled from elsewhere than the registry, each as the instruction
     * names it ({@code FROM alpine:3.20}, {@code COPY --from=busybox}, {@code RUN --mount=from=x});
     * empty when fine.
     */
    public static List<String> refusedImages(String dockerfile, String registryAddress) {
        List<String> refused = new ArrayList<>();
        Set<String> stages = new HashSet<>();
        int stageCount = 0;
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
            if (words.length < 1) {
                continue;
            }
            String keyword = words[0].toUpperCase(Locale.ROOT);
            if (keyword.equals("FROM")) {
                int i = 1;
                while (i < words.length && words[i].startsWith("--")) {
                    i++;
                }
                if (i >= words.length) {
                    refused.add(instr);
                    continue;
                }
                String image = words[i];
                if (!image.equalsIgnoreCase("scratch")
                        && !stages.contains(image.toLowerCase(Locale.ROOT))
                        && !inRegistry(image, registryAddress)) {
                    refused.add("FROM " + image);
                }
                if (i + 2 < words.length && words[i + 1].equalsIgnoreCase("AS")) {
                    stages.add(words[i + 2].toLowerCase(Locale.ROOT));
                }
                stageCount++;
            } else if (keyword.equals("COPY") || keyword.equals("ADD")) {
                for (int i = 1; i < words.length && words[i].startsWith("--"); i++) {
                    String w = words[i];
                    if (w.regionMatches(true, 0, "--from=", 0, 7)) {
                        String from = w.substring(7);
                        if (!stageOrRegistry(from, stages, stageCount, registryAddress)) {
                            refused.add(keyword + " --from=" + from);
                        }
                    }
                }
            } else if (keyword.equals("RUN")) {
                for (int i = 1; i < words.length && words[i].startsWith("--"); i++) {
                    String w = words[i];
                    if (!w.regionMatches(true, 0, "--mount=", 0, 8)) {
                        continue;
                    }
                    for (String opt : w.substring(8).split(",")) {
                        if (opt.regionMatches(true, 0, "from=", 0, 5)) {
                            String from = opt.substring(5);
                            if (!stageOrRegistry(from, stages, stageCount, registryAddress)) {
                                refused.add("RUN --mount=from=" + from);
                            }
                        }
                    }
                }
            }
        }
        return refused;
    }

    private static boolean stageOrRegistry(
            String ref, Set<String> stages, int stageCount, String registryAddress) {
        String r = ref.replaceAll("^[\"']|[\"']$", "");
        if (r.matches("\\d{1,4}")) {
            return Integer.parseInt(r) < stageCount;
        }
        return stages.contains(r.toLowerCase(Locale.ROOT)) || inRegistry(r, registryAddress);
    }

    private static boolean inRegistry(String image, String registryAddress) {
        return image.startsWith(registryAddress + "/") && !image.contains("$");
    }
}
