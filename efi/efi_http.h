/*
 * The firmware network protocols gnu-efi 3.0.15 does not declare, written from the UEFI
 * specification (2.10): EFI_HTTP_PROTOCOL and its service binding (section 29.6) and
 * EFI_IP4_CONFIG2_PROTOCOL (section 28.5).
 *
 * Layout matters: these are the firmware's structs, read and written by its drivers.
 * Enumerations are C enums (int-sized, as the spec's C definitions are), in the spec's
 * order; pointers and UINTN are 64-bit on x86_64.  Every function is EFIAPI.
 */
#ifndef STRATA_EFI_HTTP_H
#define STRATA_EFI_HTTP_H

#include <efi.h>

/* ---- EFI_HTTP_PROTOCOL ------------------------------------------------------------- */

#define EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID \
	{ 0xbdc8e6af, 0xd9bc, 0x4379, { 0xa7, 0x2a, 0xe0, 0xc4, 0xe7, 0x5d, 0xae, 0x1c } }
#define EFI_HTTP_PROTOCOL_GUID \
	{ 0x7a59b29b, 0x910b, 0x4171, { 0x82, 0x42, 0xa8, 0x5a, 0x0d, 0xf2, 0x5b, 0x5b } }

typedef enum {
	HttpVersion10,
	HttpVersion11,
	HttpVersionUnsupported,
} EFI_HTTP_VERSION;

typedef enum {
	HttpMethodGet,
	HttpMethodPost,
	HttpMethodPatch,
	HttpMethodOptions,
	HttpMethodConnect,
	HttpMethodHead,
	HttpMethodPut,
	HttpMethodDelete,
	HttpMethodTrace,
	HttpMethodMax,
} EFI_HTTP_METHOD;

/*
 * Response status: an index, not the number.  The spec lists them in numeric order, then
 * appends 308 (added in 2.6) after 505.  fetch_http.c maps them back to numbers.
 */
typedef enum {
	HTTP_STATUS_UNSUPPORTED_STATUS = 0,
	HTTP_STATUS_100_CONTINUE,
	HTTP_STATUS_101_SWITCHING_PROTOCOLS,
	HTTP_STATUS_200_OK,
	HTTP_STATUS_201_CREATED,
	HTTP_STATUS_202_ACCEPTED,
	HTTP_STATUS_203_NON_AUTHORITATIVE_INFORMATION,
	HTTP_STATUS_204_NO_CONTENT,
	HTTP_STATUS_205_RESET_CONTENT,
	HTTP_STATUS_206_PARTIAL_CONTENT,
	HTTP_STATUS_300_MULTIPLE_CHOICES,
	HTTP_STATUS_301_MOVED_PERMANENTLY,
	HTTP_STATUS_302_FOUND,
	HTTP_STATUS_303_SEE_OTHER,
	HTTP_STATUS_304_NOT_MODIFIED,
	HTTP_STATUS_305_USE_PROXY,
	HTTP_STATUS_307_TEMPORARY_REDIRECT,
	HTTP_STATUS_400_BAD_REQUEST,
	HTTP_STATUS_401_UNAUTHORIZED,
	HTTP_STATUS_402_PAYMENT_REQUIRED,
	HTTP_STATUS_403_FORBIDDEN,
	HTTP_STATUS_404_NOT_FOUND,
	HTTP_STATUS_405_METHOD_NOT_ALLOWED,
	HTTP_STATUS_406_NOT_ACCEPTABLE,
	HTTP_STATUS_407_PROXY_AUTHENTICATION_REQUIRED,
	HTTP_STATUS_408_REQUEST_TIME_OUT,
	HTTP_STATUS_409_CONFLICT,
	HTTP_STATUS_410_GONE,
	HTTP_STATUS_411_LENGTH_REQUIRED,
	HTTP_STATUS_412_PRECONDITION_FAILED,
	HTTP_STATUS_413_REQUEST_ENTITY_TOO_LARGE,
	HTTP_STATUS_414_REQUEST_URI_TOO_LARGE,
	HTTP_STATUS_415_UNSUPPORTED_MEDIA_TYPE,
	HTTP_STATUS_416_REQUESTED_RANGE_NOT_SATISFIED,
	HTTP_STATUS_417_EXPECTATION_FAILED,
	HTTP_STATUS_500_INTERNAL_SERVER_ERROR,
	HTTP_STATUS_501_NOT_IMPLEMENTED,
	HTTP_STATUS_502_BAD_GATEWAY,
	HTTP_STATUS_503_SERVICE_UNAVAILABLE,
	HTTP_STATUS_504_GATEWAY_TIME_OUT,
	HTTP_STATUS_505_HTTP_VERSION_NOT_SUPPORTED,
	HTTP_STATUS_308_PERMANENT_REDIRECT,
} EFI_HTTP_STATUS_CODE;

/** Local IPv4 end of the instance's connections. */
typedef struct {
	BOOLEAN UseDefaultAddress;  /**< TRUE: the address EFI_IP4_CONFIG2 configured */
	EFI_IPv4_ADDRESS LocalAddress;
	EFI_IPv4_ADDRESS LocalSubnet;
	UINT16 LocalPort;           /**< 0: any */
} EFI_HTTPv4_ACCESS_POINT;

typedef struct {
	EFI_IPv6_ADDRESS LocalAddress;
	UINT16 LocalPort;
} EFI_HTTPv6_ACCESS_POINT;

typedef struct {
	EFI_HTTP_VERSION HttpVersion;
	UINT32 TimeOutMillisec;
	BOOLEAN LocalAddressIsIPv6;
	union {
		EFI_HTTPv4_ACCESS_POINT *IPv4Node;
		EFI_HTTPv6_ACCESS_POINT *IPv6Node;
	} AccessPoint;
} EFI_HTTP_CONFIG_DATA;

typedef struct {
	EFI_HTTP_METHOD Method;
	CHAR16 *Url;
} EFI_HTTP_REQUEST_DATA;

typedef struct {
	EFI_HTTP_STATUS_CODE StatusCode;
} EFI_HTTP_RESPONSE_DATA;

/** One header line.  In a response, allocated by the driver, freed by the caller. */
typedef struct {
	CHAR8 *FieldName;
	CHAR8 *FieldValue;
} EFI_HTTP_HEADER;

/**
 * A request or a response, or a piece of a response body: for a body piece, Data is NULL,
 * HeaderCount 0, and Body/BodyLength the caller's buffer (BodyLength updated on return).
 */
typedef struct {
	union {
		EFI_HTTP_REQUEST_DATA *Request;
		EFI_HTTP_RESPONSE_DATA *Response;
	} Data;
	UINTN HeaderCount;
	EFI_HTTP_HEADER *Headers;
	UINTN BodyLength;
	VOID *Body;
} EFI_HTTP_MESSAGE;

/** An asynchronous request or response: Event is signalled when Status is final. */
typedef struct {
	EFI_EVENT Event;
	EFI_STATUS Status;
	EFI_HTTP_MESSAGE *Message;
} EFI_HTTP_TOKEN;

typedef struct _EFI_HTTP_PROTOCOL EFI_HTTP_PROTOCOL;

/** The functions, in the spec's order. */
struct _EFI_HTTP_PROTOCOL {
	EFI_STATUS(EFIAPI *GetModeData)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_CONFIG_DATA *Data);
	/** Data NULL resets the instance: closes its connection, cancels its tokens. */
	EFI_STATUS(EFIAPI *Configure)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_CONFIG_DATA *Data);
	EFI_STATUS(EFIAPI *Request)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_TOKEN *Token);
	/** Token NULL cancels every pending token. */
	EFI_STATUS(EFIAPI *Cancel)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_TOKEN *Token);
	EFI_STATUS(EFIAPI *Response)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_TOKEN *Token);
	EFI_STATUS(EFIAPI *Poll)(EFI_HTTP_PROTOCOL *This);
};

/* ---- EFI_IP4_CONFIG2_PROTOCOL ------------------------------------------------------ */

#define EFI_IP4_CONFIG2_PROTOCOL_GUID \
	{ 0x5b446ed1, 0xe30b, 0x4faa, { 0x87, 0x1a, 0x36, 0x54, 0xec, 0xa3, 0x60, 0x80 } }

typedef enum {
	Ip4Config2DataTypeInterfaceInfo,
	Ip4Config2DataTypePolicy,
	Ip4Config2DataTypeManualAddress,
	Ip4Config2DataTypeGateway,
	Ip4Config2DataTypeDnsServer,
	Ip4Config2DataTypeMaximum,
} EFI_IP4_CONFIG2_DATA_TYPE;

typedef enum {
	Ip4Config2PolicyStatic,
	Ip4Config2PolicyDhcp,
	Ip4Config2PolicyMax,
} EFI_IP4_CONFIG2_POLICY;

#define EFI_IP4_CONFIG2_INTERFACE_INFO_NAME_SIZE 32

/** The interface's state; RouteTable points into the same buffer, after the struct. */
typedef struct {
	CHAR16 Name[EFI_IP4_CONFIG2_INTERFACE_INFO_NAME_SIZE];
	UINT8 IfType;
	UINT32 HwAddressSize;
	EFI_MAC_ADDRESS HwAddress;
	EFI_IPv4_ADDRESS StationAddress;  /**< 0.0.0.0 until an address is configured */
	EFI_IPv4_ADDRESS SubnetMask;
	UINT32 RouteTableSize;
	EFI_IP4_ROUTE_TABLE *RouteTable;
} EFI_IP4_CONFIG2_INTERFACE_INFO;

typedef struct _EFI_IP4_CONFIG2_PROTOCOL EFI_IP4_CONFIG2_PROTOCOL;

struct _EFI_IP4_CONFIG2_PROTOCOL {
	EFI_STATUS(EFIAPI *SetData)(EFI_IP4_CONFIG2_PROTOCOL *This,
				    EFI_IP4_CONFIG2_DATA_TYPE DataType, UINTN DataSize, VOID *Data);
	/** *DataSize in: the buffer's size; out: the size needed (EFI_BUFFER_TOO_SMALL). */
	EFI_STATUS(EFIAPI *GetData)(EFI_IP4_CONFIG2_PROTOCOL *This,
				    EFI_IP4_CONFIG2_DATA_TYPE DataType, UINTN *DataSize, VOID *Data);
	EFI_STATUS(EFIAPI *RegisterDataNotify)(EFI_IP4_CONFIG2_PROTOCOL *This,
					       EFI_IP4_CONFIG2_DATA_TYPE DataType, EFI_EVENT Event);
	EFI_STATUS(EFIAPI *UnregisterDataNotify)(EFI_IP4_CONFIG2_PROTOCOL *This,
						 EFI_IP4_CONFIG2_DATA_TYPE DataType,
						 EFI_EVENT Event);
};

/* Sizes that follow from the spec's definitions on x86_64; a slip in a member shows here. */
_Static_assert(sizeof(EFI_HTTPv4_ACCESS_POINT) == 12, "EFI_HTTPv4_ACCESS_POINT layout");
_Static_assert(sizeof(EFI_HTTP_CONFIG_DATA) == 24, "EFI_HTTP_CONFIG_DATA layout");
_Static_assert(sizeof(EFI_HTTP_MESSAGE) == 40, "EFI_HTTP_MESSAGE layout");
_Static_assert(sizeof(EFI_HTTP_TOKEN) == 24, "EFI_HTTP_TOKEN layout");
_Static_assert(sizeof(EFI_HTTP_PROTOCOL) == 6 * sizeof(void *), "EFI_HTTP_PROTOCOL layout");
_Static_assert(sizeof(EFI_IP4_CONFIG2_INTERFACE_INFO) == 128,
	       "EFI_IP4_CONFIG2_INTERFACE_INFO layout");

#endif /* STRATA_EFI_HTTP_H */
