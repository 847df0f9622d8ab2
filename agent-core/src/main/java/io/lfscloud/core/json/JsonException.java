package io.lfscloud.core.json;

/** Input that is not the JSON expected; the message says what and where. */
public class JsonException extends Exception {

    public JsonException(String message) {
        super(message);
    }
}
