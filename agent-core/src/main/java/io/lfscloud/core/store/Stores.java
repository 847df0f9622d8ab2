package io.lfscloud.core.store;

import io.lfscloud.spi.StorageException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The stores a repository's objects live in, as its settings name them: the single
 * {@code lfs-cloud.store} of old (listed as {@value #DEFAULT}) and any number of named stores,
 * {@code lfs-cloud.store.NAME.url} with {@code .write} (default {@code true}) and
 * {@code .priority} (default 0; higher is read first, ties by name, {@value #DEFAULT} first),
 * managed like git remotes by {@code git lfs-cloud store}. {@code lfs-cloud.copies} is how many
 * writable stores must hold an object before its upload counts as done (default: all of them).
 *
 * <p>Only names and settings are read here; a store's URL is parsed when it is used
 * ({@link Store#layout}), so one store with a broken URL fails only its own transfers.
 */
public final class Stores {

    /** The name under which {@code lfs-cloud.store} is listed; not available to named stores. */
    public static final String DEFAULT = "default";

    /** The key of the single store of old. */
    public static final String LEGACY_KEY = "lfs-cloud.store";

    /** The key of the number of copies an upload needs. */
    public static final String COPIES_KEY = "lfs-cloud.copies";

    /** A store's name: as a git remote's, without dots (they separate a key's parts). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    /** Priorities are small numbers, to order a handful of stores. */
    public static final int MAX_PRIORITY = 1000;

    /**
     * One store.
     *
     * @param name     its name ({@value #DEFAULT} for {@code lfs-cloud.store})
     * @param url      the setting as written
     * @param write    whether uploads go there
     * @param priority reads try higher priorities first
     */
    public record Store(String name, String url, boolean write, int priority) {
        /** The URL, parsed: objects at {@code <url>/<oid[0:2]>/<oid[2:4]>/<oid>}. */
        public StoreLayout layout() throws StorageException {
            return StoreLayout.parse(url);
        }

        /** Whether this is the single {@code lfs-cloud.store} of old. */
        public boolean legacy() {
            return name.equals(DEFAULT);
        }

        /** How messages name it: "the store" for a repository with the one store of old, else "store 'NAME'". */
        public String label() {
            return legacy() ? "the store" : "store '" + name + "'";
        }
    }

    private final List<Store> readOrder;
    private final Integer copies;

    private Stores(List<Store> readOrder, Integer copies) {
        this.readOrder = readOrder;
        this.copies = copies;
    }

    /** The key of setting {@code variable} of named store {@code name}. */
    public static String key(String name, String variable) {
        return "lfs-cloud.store." + name + "." + variable;
    }

    /** Whether {@code name} can name a store. */
    public static boolean validName(String name) {
        return NAME.matcher(name).matches() && !name.equals(DEFAULT);
    }

    /** Just {@code store}: the repository's Git LFS server, when no store is configured. */
    public static Stores only(Store store) {
        return new Stores(List.of(store), null);
    }

    /**
     * The stores named by settings.
     *
     * @param keys     every setting's key (canonical, as {@code git config} lists them)
     * @param settings a setting's value by key
     * @throws StorageException {@code MISCONFIGURED} for a value that is not a number, a boolean, or in range
     */
    public static Stores from(Set<String> keys, Function<String, Optional<String>> settings) throws StorageException {
        Set<String> names = new TreeSet<>();
        for (String k : keys) {
            if (k.startsWith("lfs-cloud.store.") && k.toLowerCase(Locale.ROOT).endsWith(".url")) {
                String name = k.substring("lfs-cloud.store.".length(), k.length() - ".url".length());
                if (validName(name)) {
                    names.add(name);
                }
            }
        }
        List<Store> stores = new ArrayList<>();
        Optional<String> legacy = settings.apply(LEGACY_KEY).filter(v -> !v.isBlank());
        if (legacy.isPresent()) {
            stores.add(new Store(DEFAULT, legacy.get().strip(), true, 0));
        }
        for (String name : names) {
            Optional<String> url = settings.apply(key(name, "url")).filter(v -> !v.isBlank());
            if (url.isEmpty()) {
                continue; // an empty URL in your own config hides a committed store
            }
            boolean write = bool(key(name, "write"), settings.apply(key(name, "write")), true);
            int priority = (int) number(key(name, "priority"), settings.apply(key(name, "priority")), 0,
                    -MAX_PRIORITY, MAX_PRIORITY);
            stores.add(new Store(name, url.get().strip(), write, priority));
        }
        stores.sort(Comparator.comparingInt(Store::priority).reversed()); // stable: default, then by name
        Optional<String> c = settings.apply(COPIES_KEY).filter(v -> !v.isBlank());
        Integer copies = c.isEmpty() ? null : (int) number(COPIES_KEY, c, 0, 1, 100);
        return new Stores(List.copyOf(stores), copies);
    }

    private static boolean bool(String key, Optional<String> value, boolean dflt) throws StorageException {
        if (value.isEmpty()) {
            return dflt;
        }
        return switch (value.get().strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    key + " must be true or false, not '" + value.get() + "'");
        };
    }

    private static long number(String key, Optional<String> value, long dflt, long min, long max)
            throws StorageException {
        if (value.isEmpty()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(value.get().strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new StorageException(StorageException.Kind.MISCONFIGURED,
                key + " must be a whole number from " + min + " to " + max + ", not '" + value.get() + "'");
    }

    /** Every store, in the order reads try them. */
    public List<Store> readOrder() {
        return readOrder;
    }

    /** The stores uploads go to, in read order. */
    public List<Store> writable() {
        return readOrder.stream().filter(Store::write).toList();
    }

    public boolean isEmpty() {
        return readOrder.isEmpty();
    }

    public Optional<Store> named(String name) {
        return readOrder.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** {@code lfs-cloud.copies} as set, or empty (then every writable store must hold an object). */
    public Optional<Integer> copiesSetting() {
        return Optional.ofNullable(copies);
    }

    /**
     * How many writable stores must hold an object for its upload to count as done.
     *
     * @throws StorageException {@code MISCONFIGURED} when fewer stores can be written
     */
    public int copies() throws StorageException {
        int writable = writable().size();
        if (writable == 0) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "no store can be written: "
                    + (readOrder.isEmpty() ? "none is configured" : "every store is read-only")
                    + " (add one with 'git lfs-cloud store add NAME URL')");
        }
        if (copies == null) {
            return writable;
        }
        if (copies > writable) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, COPIES_KEY + " is " + copies
                    + ", but only " + writable + " store" + (writable == 1 ? "" : "s") + " can be written");
        }
        return copies;
    }
}
