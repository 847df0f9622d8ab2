package io.lfscloud.core.git;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Values read from {@code git config -z --get-regexp} (or {@code --list}), with git's
 * rules for key names: section and variable are case-insensitive, a subsection is not.
 * When a key occurs more than once the last value wins, as for {@code git config --get}.
 */
public final class ConfigValues {

    public static final ConfigValues EMPTY = new ConfigValues(Map.of());

    private final Map<String, String> values;

    private ConfigValues(Map<String, String> values) {
        this.values = values;
    }

    /** Parses git's {@code -z} output: records {@code key\nvalue\0} (value absent for bare keys). */
    public static ConfigValues parseNulSeparated(String output) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String record : output.split("\0")) {
            if (record.isEmpty()) {
                continue;
            }
            int nl = record.indexOf('\n');
            String key = nl < 0 ? record : record.substring(0, nl);
            String value = nl < 0 ? "true" : record.substring(nl + 1);
            values.put(normalize(key), value);
        }
        return new ConfigValues(values);
    }

    /** git's canonical form of a key: section and variable lower case, subsection as is. */
    public static String normalize(String key) {
        int first = key.indexOf('.');
        int last = key.lastIndexOf('.');
        if (first < 0) {
            return key.toLowerCase(Locale.ROOT);
        }
        if (first == last) {
            return key.toLowerCase(Locale.ROOT);
        }
        return key.substring(0, first).toLowerCase(Locale.ROOT) + key.substring(first, last + 1)
                + key.substring(last + 1).toLowerCase(Locale.ROOT);
    }

    /** The keys, canonical (see {@link #normalize}), in the order read. */
    public java.util.Set<String> keys() {
        return java.util.Collections.unmodifiableSet(values.keySet());
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(normalize(key)));
    }

}
