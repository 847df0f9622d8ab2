package io.lfscloud.backend.lfs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The Batch API's JSON as records, read and written with Jackson: the request, the answer and its
 * per-object entries, actions and errors, and the error body servers send with a failed status.
 * Fields a server adds that are not named here are ignored.
 */
final class BatchApi {

    private BatchApi() {
    }

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // an answer holds the actions' tokens: none of its text in an error message
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    /** {@code POST ENDPOINT/objects/batch}: one operation, the transfers we speak, the objects. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Request(String operation, List<String> transfers, List<ObjectSpec> objects,
                   @JsonProperty("hash_algo") String hashAlgo) {
    }

    /** An object of a request (and the body of a {@code verify} call). */
    record ObjectSpec(String oid, long size) {
    }

    /** The answer: the transfer the server chose, and one entry per object. */
    record Response(String transfer, List<Entry> objects) {
        Response {
            objects = objects == null ? List.of() : objects;
        }
    }

    /** One object of the answer: its actions ({@code download}, {@code upload}, {@code verify}) or its error. */
    record Entry(String oid, Long size, Map<String, ActionSpec> actions, ObjectError error) {
        Entry {
            actions = actions == null ? Map.of() : actions;
        }
    }

    /** An action as the server hands it out: where, with which headers, until when. */
    record ActionSpec(String href, Map<String, String> header, @JsonProperty("expires_in") Long expiresIn,
                      @JsonProperty("expires_at") String expiresAt) {
        ActionSpec {
            header = header == null ? Map.of() : header;
        }
    }

    /** A per-object error: an HTTP-like code and the server's message. */
    record ObjectError(Long code, String message) {
    }

    /** The body of a failed answer ({@code {"message": …}}). */
    record Message(String message) {
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Reads {@code json} as {@code type}; an {@link IOException} saying why when it is not that. */
    static <T> T read(String json, Class<T> type) throws IOException {
        T value;
        try {
            value = MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IOException(e.getOriginalMessage(), e);
        }
        if (value == null) {
            throw new IOException("null instead of an object");
        }
        return value;
    }
}
