"""The inbound HTTP adapter: a controller and the FastAPI app exposing it."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from examples.hexagonal_orders.use_cases import GetOrder, PlaceOrder
from rfs.di import Controller, Registry
from rfs.di.fastapi import Provide, install, lifespan
from rfs.result import Failure


class PlaceOrderBody(BaseModel):
    customer: str
    amount_cents: int


@Controller("/orders")
class OrderController:
    """Maps HTTP to use cases and Results to status codes."""

    def __init__(self, place_order: PlaceOrder, get_order: GetOrder) -> None:
        self.place_order = place_order
        self.get_order = get_order

    async def place(self, body: PlaceOrderBody) -> dict[str, object]:
        result = await self.place_order.execute(body.customer, body.amount_cents)
        if isinstance(result, Failure):
            raise HTTPException(status_code=402, detail=result.error)
        return result.value.__dict__

    async def get(self, order_id: str) -> dict[str, object]:
        result = await self.get_order.execute(order_id)
        if isinstance(result, Failure):
            raise HTTPException(status_code=404, detail=result.error)
        return result.value.__dict__


def create_app(registry: Registry) -> FastAPI:
    """The HTTP app; the registry is started and shut down by the app's lifespan."""
    app = FastAPI(title="orders", lifespan=lifespan(registry))
    install(app, registry)

    @app.post("/orders", status_code=201)
    async def place(
        body: PlaceOrderBody, controller: OrderController = Provide(OrderController)
    ) -> dict[str, object]:
        return await controller.place(body)

    @app.get("/orders/{order_id}")
    async def get(
        order_id: str, controller: OrderController = Provide(OrderController)
    ) -> dict[str, object]:
        return await controller.get(order_id)

    return app
