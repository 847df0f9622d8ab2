package io.lfscloud.backend.azure;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where the credentials for one storage account come from: the environment variables Azure's
 * own tools read, never lfs-cloud settings, in this order:
 * <ol>
 *   <li>{@code AZURE_STORAGE_CONNECTION_STRING} (its {@code AccountName} must be the URL's
 *       account when it names one; its {@code BlobEndpoint}, if any, is where requests go);</li>
 *   <li>{@code AZURE_STORAGE_ACCOUNT} (the URL's account) and {@code AZURE_STORAGE_KEY};</li>
 *   <li>{@code AZURE_STORAGE_SAS_TOKEN};</li>
 *   <li>Microsoft Entra ID through {@code DefaultAzureCredential}, when something it reads is
 *       there: a service principal or workload identity ({@code AZURE_CLIENT_ID},
 *       {@code AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE}), a managed identity
 *       ({@code IDENTITY_ENDPOINT}, {@code MSI_ENDPOINT}), an Azure CLI login ({@code $AZURE_CONFIG_DIR},
 *       else {@code ~/.azure}, {@code ~} being {@code $HOME} as for the CLI);</li>
 *   <li>else none: requests go anonymously (public containers work), and a refusal says what to set.</li>
 * </ol>
 * Values are kept here and handed to the SDK only; {@link #toString()} and every message name
 * the source, never a secret.
 *
 * @param source       where they came from, for messages and traces ("AZURE_STORAGE_KEY")
 * @param kind         which kind of credential
 * @param accountKey   the shared key (KEY), else {@code null}
 * @param sas          the SAS token without a leading {@code ?} (SAS), else {@code null}
 * @param blobEndpoint the connection string's blob endpoint, if it names one
 */
record AzureCredentials(String source, Kind kind, String accountKey, String sas, Optional<URI> blobEndpoint) {

    enum Kind { KEY, SAS, ENTRA, NONE }

    static final String WHAT_TO_SET = "set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and"
            + " AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN, or sign in to Microsoft Entra ID (az login, a service"
            + " principal in AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or a managed identity)";

    static AzureCredentials none() {
        return new AzureCredentials("no credentials", Kind.NONE, null, null, Optional.empty());
    }

    /** The credentials for {@code account} in {@code env}; {@code home} is the user's home ({@code $HOME}, for ~/.azure). */
    static AzureCredentials find(String account, Map<String, String> env, Path home) {
        String cs = env.get("AZURE_STORAGE_CONNECTION_STRING");
        if (cs != null && !cs.isBlank()) {
            Map<String, String> parts = parse(cs);
            String name = parts.get("accountname");
            if (name == null || name.equals(account)) {
                Optional<URI> endpoint = Optional.ofNullable(parts.get("blobendpoint")).map(AzureCredentials::uri);
                if (endpoint.isEmpty() && name != null && parts.containsKey("endpointsuffix")) {
                    String protocol = parts.getOrDefault("defaultendpointsprotocol", "https");
                    endpoint = Optional.ofNullable(uri(protocol + "://" + name + ".blob." + parts.get("endpointsuffix")));
                }
                if (parts.get("accountkey") != null && name != null) {
                    return new AzureCredentials("AZURE_STORAGE_CONNECTION_STRING", Kind.KEY, parts.get("accountkey"),
                            null, endpoint);
                }
                if (parts.get("sharedaccesssignature") != null) {
                    return new AzureCredentials("AZURE_STORAGE_CONNECTION_STRING", Kind.SAS, null,
                            stripQuestionMark(parts.get("sharedaccesssignature")), endpoint);
                }
            }
        }
        String key = env.get("AZURE_STORAGE_KEY");
        if (key != null && !key.isBlank() && account.equals(env.get("AZURE_STORAGE_ACCOUNT"))) {
            return new AzureCredentials("AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY", Kind.KEY, key.strip(), null,
                    Optional.empty());
        }
        String sas = env.get("AZURE_STORAGE_SAS_TOKEN");
        if (sas != null && !sas.isBlank() && (env.get("AZURE_STORAGE_ACCOUNT") == null
                || account.equals(env.get("AZURE_STORAGE_ACCOUNT")))) {
            return new AzureCredentials("AZURE_STORAGE_SAS_TOKEN", Kind.SAS, null, stripQuestionMark(sas.strip()),
                    Optional.empty());
        }
        for (String v : new String[] {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE",
                "IDENTITY_ENDPOINT", "MSI_ENDPOINT"}) {
            if (env.get(v) != null && !env.get(v).isBlank()) {
                return new AzureCredentials("Microsoft Entra ID (" + v + ")", Kind.ENTRA, null, null, Optional.empty());
            }
        }
        String configDir = env.get("AZURE_CONFIG_DIR"); // where the Azure CLI keeps its login, ~/.azure unless set
        Path cli = configDir != null && !configDir.isBlank() ? Path.of(configDir) : home == null ? null : home.resolve(".azure");
        if (cli != null && Files.isDirectory(cli)) {
            return new AzureCredentials("Microsoft Entra ID (Azure CLI login)", Kind.ENTRA, null, null, Optional.empty());
        }
        return none();
    }

    /** A connection string's {@code key=value;…} pairs, keys in lower case (values may hold '='). */
    static Map<String, String> parse(String connectionString) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : connectionString.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                m.put(part.substring(0, eq).strip().toLowerCase(Locale.ROOT), part.substring(eq + 1).strip());
            }
        }
        return m;
    }

    private static String stripQuestionMark(String sas) {
        return sas.startsWith("?") ? sas.substring(1) : sas;
    }

    private static URI uri(String s) {
        try {
            URI u = new URI(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
            return u.getScheme() != null && u.getHost() != null ? u : null;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /** Names the source only: the record's generated form would print the key and the token. */
    @Override
    public String toString() {
        return source;
    }
}
