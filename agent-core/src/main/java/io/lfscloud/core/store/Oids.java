package io.lfscloud.core.store;

/** Git LFS object ids: exactly 64 lowercase hex digits, the SHA-256 of the content. */
public final class Oids {

    private Oids() {
    }

    public static boolean isValid(String oid) {
        if (oid == null || oid.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = oid.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** {@code oid} shortened for messages, and made harmless if it is not an oid at all. */
    public static String shortForm(String oid) {
        if (isValid(oid)) {
            return oid.substring(0, 12);
        }
        String s = oid == null ? "null" : oid.replaceAll("[^\\x20-\\x7e]", "?");
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
