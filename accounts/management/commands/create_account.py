from django.core.management.base import BaseCommand, CommandError

from accounts.services import account_create
from flowpilot.errors import InvalidInput


class Command(BaseCommand):
    help = 'Create a tenant and its first admin: create_account "Acme MSP" --admin alice --password …'

    def add_arguments(self, parser):
        parser.add_argument("name", help="The account's (the MSP's) name.")
        parser.add_argument("--admin", required=True, help="Username of the account's first admin.")
        parser.add_argument("--password", required=True, help="The admin's password (at least 10 characters).")
        parser.add_argument("--email", default="", help="The admin's e-mail address.")

    def handle(self, *args, name, admin, password, email, **options):
        try:
            account = account_create(name=name, admin_username=admin, admin_password=password, admin_email=email)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Created account {account.name!r} with admin {admin!r}."))
