package dev.ioasid.api;

/** The answer to a fault group ({@code enum iommufd_page_response_code}). */
public enum PageResponse {
    /** The page is there now: the device retries. */
    SUCCESS(0),
    /** The device's request fails. */
    INVALID(1);

    private final int code;

    PageResponse(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
