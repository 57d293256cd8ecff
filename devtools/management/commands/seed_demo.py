"""`manage.py seed_demo`: the demo tenants (devtools.demo), once each, pointed at their PSA simulators:
ConnectWise (`cw_simulator`, port 8765), Autotask (`autotask_simulator`, 8767) and HaloPSA (`halo_simulator`, 8768)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import Account
from accounts.services import account_settings_update
from devtools.autotask import simulator as autotask_simulator
from devtools.connectwise import simulator as cw_simulator
from devtools.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoAccount, demo_seed
from devtools.halopsa import simulator as halo_simulator
from psa.services import psa_connection_save
from psa.specs import PROVIDERS

SIMULATORS = {"connectwise": cw_simulator, "autotask": autotask_simulator, "halopsa": halo_simulator}
URL_OPTIONS = {"connectwise": "simulator_url", "autotask": "autotask_url", "halopsa": "halo_url"}


class Command(BaseCommand):
    help = (
        "Create the demo accounts (one per PSA), their logins, script templates and sessions "
        "(once; re-running only prints the logins)."
    )

    def add_arguments(self, parser):
        for demo in DEMO_ACCOUNTS:
            option = URL_OPTIONS[demo.provider].replace("_", "-")
            label = PROVIDERS[demo.provider].label
            parser.add_argument(
                f"--{option}",
                default=f"http://127.0.0.1:{demo.port}",
                help=f"The {label} simulator the {demo.name!r} account posts to.",
            )

    def handle(self, *args, **options):
        for demo in DEMO_ACCOUNTS:
            account = Account.objects.filter(name=demo.name).first()
            if account:
                self.stdout.write(f"The demo account {demo.name!r} already exists.")
            else:
                account = demo_seed(demo)
                self.stdout.write(self.style.SUCCESS(f"Created the demo account {demo.name!r}."))
            self._connect_simulator(account, demo, options[URL_OPTIONS[demo.provider]])
        connectwise, *others = DEMO_ACCOUNTS
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD!r}): engineer {connectwise.engineer!r}, account admin "
            f"{connectwise.admin!r} ({PROVIDERS[connectwise.provider].label}); "
            + "; ".join(f"{demo.admin!r} ({PROVIDERS[demo.provider].label})" for demo in others)
            + "."
        )

    def _connect_simulator(self, account, demo: DemoAccount, simulator_url: str) -> None:
        """Point the demo account's PSA connection at its simulator, so a first post works."""
        label = PROVIDERS[demo.provider].provider_class.display_name
        if not settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS:
            self.stdout.write(
                f"Demo PSA connection of {demo.name!r} skipped: the {label} simulator runs on 127.0.0.1, which "
                "FlowPilot only calls with FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS=1 (make run sets it)."
            )
            return
        fields = {"provider": demo.provider, **SIMULATORS[demo.provider].connection_fields(simulator_url)}
        if demo.board_id:
            fields["board_id"] = demo.board_id
        psa_connection_save(account=account, **fields)
        account_settings_update(account=account, changes=demo.target_statuses)
        self.stdout.write(f"The demo account {demo.name!r} posts to the {label} simulator at {simulator_url}.")
