from django.core.management.base import BaseCommand

from apps.accounts.models import Role
from apps.accounts.services import demo_user_create

DEMO_PASSWORD = "ThinkFamily-demo-2026"  # noqa: S105 - the demo\'s published password; demo_setup refuses production
DEMO_NAMES = {
    "key-worker": "Claire Mackey",
    "first-response": "Sam Okafor",
    "social-worker": "Priya Shah",
    "police-safeguarding": "Tom Hughes",
    "analyst": "Ana Costa",
    "data-custodian": "Dee Morgan",
    "audit-reviewer": "Rob Evans",
    "data-quality-officer": "Mel Carter",
    "early-help-manager": "Jo Bennett",
    "programme-manager": "Hannah Reid",
}


class Command(BaseCommand):
    help = "Create one demo user per role (demo and smoke tests only) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, password, **options):
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for role in Role.objects.order_by("name"):
            username = role.slug.replace("-", "_")
            demo_user_create(username=username, role=role, password=password, full_name=DEMO_NAMES.get(role.slug, role.name))
            self.stdout.write(f"  {username:22} {role.name}")
