from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class ShortListPaginator(Paginator):
    """Page 1 is read with one row more than fits: when they all fit, that is the count too.

    Most lists (a person's medications, one day's doses) fit on one page, and
    then need no COUNT query. A longer list is counted as before.
    """

    def page(self, number):
        if str(number) != "1" or "count" in self.__dict__ or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.count = len(rows)  # the cached_property, known now
        return self._get_page(rows[: self.per_page], 1, self)  # type: ignore[attr-defined]  # Django's page factory, absent from the stubs


class Pagination(PageNumberPagination):
    """Every list is paged: ?page=2, and ?pageSize= up to 200."""

    django_paginator_class = ShortListPaginator
    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"pageSize": ["A whole number from 1 to 200."]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        # DRF alone reads an empty ?page= as page 1; it is no page, like ?page=0.
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page (default {self.page_size}); more than 200 gives 200."
                )
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters
