from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, Membership
from accounts.services import member_create
from flowpilot.errors import InvalidInput


class Command(BaseCommand):
    help = 'Add a person to an account: add_member "Acme MSP" bob --password … [--role engineer|admin]'

    def add_arguments(self, parser):
        parser.add_argument("account", help="The account's name, as create_account made it.")
        parser.add_argument("username", help="Their username for signing in.")
        parser.add_argument("--password", required=True, help="Their password (at least 10 characters).")
        parser.add_argument("--role", default=Membership.Role.ENGINEER, choices=Membership.Role.values)
        parser.add_argument("--email", default="", help="Their e-mail address.")

    def handle(self, *args, account, username, password, role, email, **options):
        found = Account.objects.filter(name__iexact=account.strip()).first()
        if found is None:
            raise CommandError(f"There is no account named {account!r}; create_account makes one.")
        try:
            member_create(account=found, username=username, password=password, role=role, email=email)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Added {username!r} to {found.name!r} as {role}."))
