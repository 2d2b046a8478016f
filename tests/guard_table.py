"""The URL table the runtime guards (Python and the emitted TypeScript) are checked against.

Each row: (url, the twin rule that must block it under a key that configures no vendor, or None).
Under a vendor key (VITE_STRIPE_BASE_URL) the services check applies too; the scanner decides.
"""

ORG_TWIN_URLS = ["twins.*.yourco.com", "*.yourco.com/twins/"]
SERVICE_KEY = "VITE_STRIPE_BASE_URL"
PLAIN_KEY = "APP_CALLBACK_URL"

TABLE = [
    # loopback, in every notation the rule covers
    ("http://localhost:4111", "loopback-url"),
    ("http://LOCALHOST:4111/v1/charges", "loopback-url"),
    ("https://app.localhost/", "loopback-url"),
    ("http://localhost.localdomain:8080", "loopback-url"),
    ("http://localhost.:4111", "loopback-url"),
    ("http://127.0.0.1:4112", "loopback-url"),
    ("http://127.1:4112", "loopback-url"),
    ("http://2130706433/", "loopback-url"),
    ("http://0x7f000001:4111", "loopback-url"),
    ("http://[::1]:4114/x", "loopback-url"),
    ("http://[0:0:0:0:0:0:0:1]:4114", "loopback-url"),
    ("http://[::ffff:127.0.0.1]:4114", "loopback-url"),
    ("http://[::ffff:7f00:1]:4114", "loopback-url"),
    ("http://[::1%25eth0]:4111", None),  # a zone id: outside the rule's candidates
    ("ws://localhost:4113/socket", "loopback-url"),
    ("wss://127.0.0.1", "loopback-url"),
    ("http://user:secret@localhost:4111", "loopback-url"),
    ("//localhost:4111/v1", "loopback-url"),
    ("http:\\/\\/localhost:4111\\/v1", "loopback-url"),
    ("http://127.0.0.1@0x7f.1/", "loopback-url"),
    # WHATWG IPv4 notations, wildcard-DNS loopback names, trailing dots, sentence punctuation (issue 13)
    ("http://0177.0.0.1:4111", "loopback-url"),
    ("http://0x7f.0.0.1:4111", "loopback-url"),
    ("http://017700000001:4111", "loopback-url"),
    ("http://127.0.0.1.nip.io:4111", "loopback-url"),
    ("http://app-127-0-0-1.sslip.io:4111", "loopback-url"),
    ("http://--1.sslip.io:4111", "loopback-url"),
    ("http://stripe.lvh.me:4111", "loopback-url"),
    ("http://localtest.me:4111", "loopback-url"),
    ("http://localhost:4111.", "loopback-url"),
    # `]` outside an IPv6 literal ends the URL (a flow-style list, a bracketed value): the port stays
    ("http://localhost:4111]", "loopback-url"),
    ("[http://127.0.0.1:4112/v1]", "loopback-url"),
    ("https://api.wondertwin.dev/twins/stripe]", "wondertwin-hosted-url"),
    ("https://api.wondertwin.dev./twins/stripe", "wondertwin-hosted-url"),
    ("https://twins.staging.yourco.com./stripe", "org-twin-url"),
    ("http://10.0.0.1.nip.io/", None),
    ("http://0127.0.0.1/", None),
    ("http://127.0.0.09/", None),
    # unspecified address, Docker host gateway
    ("http://0.0.0.0:4115", "unspecified-address-url"),
    ("http://[::]:4111/", "unspecified-address-url"),
    ("http://host.docker.internal:4111", "docker-host-url"),
    # WonderTwin hosted and the organisation's own twins (--twin-url)
    ("https://api.wondertwin.dev/twins/stripe", "wondertwin-hosted-url"),
    ("https://wondertwin.dev/twins", "wondertwin-hosted-url"),
    ("wss://eu.api.wondertwin.dev:8443/twins/posthog", "wondertwin-hosted-url"),
    ("https://twins.staging.yourco.com/stripe", "org-twin-url"),
    ("https://api.yourco.com/twins/stripe", "org-twin-url"),
    # twin service names (compose, Kubernetes)
    ("http://twins:4111/stripe", "twin-service-url"),
    ("http://stripe-twin:4111", "twin-service-url"),
    # real vendors
    ("https://api.stripe.com/v1", None),
    ("https://js.stripe.com/v3", None),
    ("https://eu.i.posthog.com", None),
    ("https://img.logo.dev/acme.com", None),
    # look-alikes and near misses
    ("https://localhost.example.com/", None),
    ("http://localhostx:4111", None),
    ("http://mylocalhost/", None),
    ("http://128.0.0.1/", None),
    ("http://2150000000/", None),
    ("http://[2001:db8::1]/", None),
    ("http://[::127.0.0.1]/", None),
    ("http://[::ffff:127.0.0.01]/", None),
    ("http://[1::2::3]/", None),
    ("http://127.0.0.1@example.com/", None),
    ("http://0.0.0.0.example.com/", None),
    ("http://host.docker.internal.example.com/", None),
    ("https://wondertwin.dev/docs/twins", None),
    ("https://notwondertwin.dev/twins/stripe", None),
    ("https://twins.yourco.com/stripe", None),
    ("https://twins.staging.yourco.com.evil.io/", None),
    ("https://api.yourco.com/billing", None),
    ("http://twinkle:4111", None),
    ("http://twins.staging.example.org/", None),
    ("ftp://localhost/", None),
    ("localhost:4111", None),  # no scheme: no twin rule, but a vendor key's services check sees it
    ("stripe-sim.internal.example.net", None),
    ("", None),
    # encoded as they appear inside values (a percent-encoded redirect target, HTML character
    # references, JSON inside JSON), and inet_aton/userinfo corners
    ("https://app.example.com/login?next=http%3A%2F%2Flocalhost%3A4111%2Fcb", "loopback-url"),
    ("http&colon;//localhost:4111/v1", "loopback-url"),
    ("http:&#x2F;&#x2F;127.0.0.1:4112/", "loopback-url"),
    ('{"u":"http:\\\\/\\\\/localhost:4111\\\\/v1"}', "loopback-url"),
    ("http://127.0.0.1@127.0.1.-1/", None),  # WHATWG: `-1` is no IPv4 number, so a domain name
    ("http://127.0.0.1@0x7f.0x_1/", None),  # WHATWG: `0x_1` is no IPv4 number: the URL is invalid
    ("http://127.0.0.1@[::1%a%b]/", None),
    ("HTTP://LOCALHOST:04111/x.", "loopback-url"),
    ("http://localhost:4111?a=${X}", "loopback-url"),
]

#: Settings maps the three guards' find_twins / findTwins / FindTwins must report alike: every
#: setting is checked (twin rules on every value, the vendor-host check on vendor keys).
ENVS = [
    {
        "APP_CALLBACK_URL": "http://localhost:4111/hook",  # not a vendor key, still a twin
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",  # no scheme: not a URL the rules read
        "DATABASE_URL": "postgres://localhost/app",  # not a web URL
        "KUBERNETES_PORT": "tcp://10.0.0.1:443",
        "PAYMENTS_API_URL": "https://api.wondertwin.dev/twins/stripe",
        "REDIS_URL": "redis://127.0.0.1:6379",
        "SENTRY_DSN": "https://k@o1.ingest.sentry.io/2",
        "STRIPE_API_BASE": "https://api.stripe.com",
        "VITE_POSTHOG_HOST": "https://twins.eu.yourco.com/posthog",
        "VITE_SITE_URL": "https://localhost.example.com/",
    },
    {
        "EMPTY": "",
        "OPENAI_BASE_URL": "https://openai-proxy.acme.com/v1",  # a vendor key off the vendor's hosts
        "STRIPE_HOST": "http://user:secret@stripe-twin:4111",
        "callback": "see http://localhost:4111, then https://api.wondertwin.dev/twins/stripe.",
    },
    {"NODE_ENV": "production", "PORT": "8080"},
]
