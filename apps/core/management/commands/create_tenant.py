"""manage create_tenant --name "Daechi Math" --slug daechi-math [--staff] [--existing-ok]: a tenant
and its first API key; with --existing-ok, a new key for the tenant if it exists already."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.core.models import Tenant
from apps.core.services.api_keys import create_api_key, create_tenant


class Command(BaseCommand):
    help = "Creates a tenant (an academy) and prints its first API key, which is shown only once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--key-name", default="default")
        parser.add_argument("--staff", action="store_true", help="the key may act as the platform operator")
        parser.add_argument("--existing-ok", action="store_true",
                            help="if the slug exists, issue a new key for that tenant instead of failing")

    def handle(self, *args, name, slug, key_name, staff, existing_ok, **options):
        tenant = Tenant.objects.filter(slug=slug).first() if existing_ok else None
        try:
            tenant = tenant or create_tenant(name=name, slug=slug)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        issued = create_api_key(tenant=tenant, name=key_name, is_staff=staff)
        self.stdout.write(f"tenant {tenant.slug} ({tenant.id})\nAPI key (shown once): {issued.raw}\n")
