"""python-quickbooks (a dev dependency), the baseline `bench.bulk_export` compares against: imported only when the
baseline runs, so the rest of the benchmark does not need it."""

from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.bill import Bill

__all__ = ["AuthClient", "Bill", "QuickBooks", "QuickbooksException"]
