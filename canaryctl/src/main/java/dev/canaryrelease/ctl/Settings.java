package dev.canaryrelease.ctl;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where the gateway is and which token to send, first found wins: the command line ({@code
 * --gateway}, {@code --token}), the environment ({@code CANARY_GATEWAY_URL} or {@code GATEWAY_URL};
 * {@code CANARY_TOKEN}, else {@code OPERATOR_TOKEN}, else {@code VIEWER_TOKEN}: what {@code .
 * .canary/env} exports), then the config file ({@code --config}, {@code CANARYCTL_CONFIG}, or
 * {@code ~/.config/canaryctl/config}: properties {@code gateway}, {@code token} or {@code
 * token-file}).
 */
record Settings(URI gateway, String token) {
    static final String DEFAULT_GATEWAY = "http://127.0.0.1:8080";

    static Settings resolve(
            String gatewayOption, String tokenOption, Path configOption, Map<String, String> env) {
        Properties file = new Properties();
        Path config =
                configOption != null
                        ? configOption
                        : Optional.ofNullable(env.get("CANARYCTL_CONFIG"))
                                .map(Path::of)
                                .orElseGet(
                                        () ->
                                                Path.of(
                                                        System.getProperty("user.home"),
                                                        ".config",
                                                        "canaryctl",
                                                        "config"));
        if (Files.isRegularFile(config)) {
            try (Reader in = Files.newBufferedReader(config)) {
                file.load(in);
            } catch (IOException e) {
                throw new CtlException(
                        Exit.USAGE, "cannot read the config file " + config + ": " + e);
            }
        } else if (configOption != null) {
            throw new CtlException(Exit.USAGE, "no config file " + config);
        }
        String gateway =
                first(
                        gatewayOption,
                        env.get("CANARY_GATEWAY_URL"),
                        env.get("GATEWAY_URL"),
                        file.getProperty("gateway"),
                        DEFAULT_GATEWAY);
        String token =
                first(
                        tokenOption,
                        env.get("CANARY_TOKEN"),
                        env.get("OPERATOR_TOKEN"),
                        env.get("VIEWER_TOKEN"),
                        file.getProperty("token"),
                        tokenFile(file.getProperty("token-file"), config));
        URI uri;
        try {
            uri = URI.create(gateway);
        } catch (IllegalArgumentException e) {
            throw new CtlException(
                    Exit.USAGE,
                    "the gateway address is not a URL (it must start with http:// or https://): "
                            + gateway);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new CtlException(
                    Exit.USAGE,
                    "the gateway address must start with http:// or https://: " + gateway);
        }
        return new Settings(uri, token);
    }

    private static String tokenFile(String file, Path config) {
        if (file == null) return null;
        Path p = config.resolveSibling(file);
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new CtlException(Exit.USAGE, "cannot read the token file " + p + " (" + e + ")");
        }
    }

    private static String first(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v.strip();
        return null;
    }
}
