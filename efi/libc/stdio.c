/*
 * A small vsnprintf (see stdio.h): enough for log lines and mbedTLS's OID text.
 *
 * Output goes through struct out, which counts every byte the full result would need but
 * stores only what fits, so truncation is safe and the return value is C99's.
 */
#include <stdint.h>
#include <stdio.h>

/** Where formatted bytes go: buf[0..cap-1) plus the NUL; len counts all of them. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

/** A parsed conversion specification: flags, width and argument size. */
struct spec {
	int left;          /**< '-': pad on the right */
	char pad;          /**< ' ' or '0' */
	unsigned int width;
	int size;          /**< 0 int, 1 long, 2 long long, 3 size_t */
};

/* Emit s[0..n) padded to the field width. */
static void put_field(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	size_t fill = sp->width > n ? sp->width - n : 0;

	if (!sp->left)
		while (fill--)
			put(o, sp->pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		while (fill--)
			put(o, ' ');
}

/* Format v in base 10 or 16, with a leading '-' when neg; the sign goes before zero padding. */
static void put_number(struct out *o, struct spec sp, uint64_t v, unsigned int base,
		       int upper, int neg)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = digits[v % base];
		v /= base;
	} while (v);
	if (neg && sp.pad == '0') {
		put(o, '-');
		if (sp.width)
			sp.width--;
	} else if (neg) {
		tmp[--n] = '-';
	}
	put_field(o, &sp, tmp + n, sizeof(tmp) - n);
}

/* Read flags, width and length modifier at *f; leaves *f on the conversion letter. */
static struct spec parse_spec(const char **f)
{
	struct spec sp = { .pad = ' ' };
	const char *p = *f;

	for (;; p++) {
		if (*p == '-')
			sp.left = 1;
		else if (*p == '0')
			sp.pad = '0';
		else
			break;
	}
	while (*p >= '0' && *p <= '9')
		sp.width = sp.width * 10 + (unsigned int)(*p++ - '0');
	while (*p == 'h')
		p++;
	if (*p == 'z') {
		sp.size = 3;
		p++;
	}
	while (*p == 'l') {
		sp.size++;
		p++;
	}
	*f = p;
	return sp;
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 0: return va_arg(*ap, unsigned int);
	case 1: return va_arg(*ap, unsigned long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned long long);
	}
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	case 3: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, long long);
	}
}

/* One conversion, letter c, with its argument from ap. */
static void convert(struct out *o, const struct spec *sp, char c, va_list *ap)
{
	const char *s;
	int64_t sv;
	char ch;

	switch (c) {
	case 'd': case 'i':
		sv = arg_signed(sp, ap);
		put_number(o, *sp, sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv, 10, 0, sv < 0);
		break;
	case 'u': put_number(o, *sp, arg_unsigned(sp, ap), 10, 0, 0); break;
	case 'x': put_number(o, *sp, arg_unsigned(sp, ap), 16, 0, 0); break;
	case 'X': put_number(o, *sp, arg_unsigned(sp, ap), 16, 1, 0); break;
	case 'p': put_number(o, *sp, (uintptr_t)va_arg(*ap, void *), 16, 0, 0); break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		put_field(o, sp, &ch, 1);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		put_field(o, sp, s, __builtin_strlen(s));
		break;
	default:
		/* '%%' and anything unknown: copy the letter so the slip shows in the text. */
		put(o, c);
		break;
	}
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		struct spec sp;

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		sp = parse_spec(&fmt);
		if (!*fmt)
			break;
		convert(&o, &sp, *fmt++, &args);
	}
	va_end(args);
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}
